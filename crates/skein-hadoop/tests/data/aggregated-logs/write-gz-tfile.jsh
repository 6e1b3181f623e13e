// Writes tests/data/aggregated-logs/tfile-gz-hadoop-3.4.2 with Hadoop's own TFile writer (codec gz,
// 1 KiB blocks), records laid out as AggregatedLogFormat does. Regenerate with:
//   jshell -R-Dout=tests/data/aggregated-logs/tfile-gz-hadoop-3.4.2 \
//     --class-path "$(cat tests/cluster/target/hadoop-3.4.2/classpath.txt)" tests/data/aggregated-logs/write-gz-tfile.jsh
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.io.file.tfile.TFile;
import java.io.*;
Configuration conf = new Configuration();
FileSystem fs = FileSystem.getLocal(conf).getRaw();
Path p = new Path(System.getProperty("out"));
FSDataOutputStream out = fs.create(p, true);
TFile.Writer w = new TFile.Writer(out, 1024, "gz", null, conf);
void rec(TFile.Writer w, String key, byte[] value) throws IOException {
  DataOutputStream k = w.prepareAppendKey(-1); k.writeUTF(key); k.close();
  DataOutputStream v = w.prepareAppendValue(-1); v.write(value); v.close();
}
ByteArrayOutputStream b = new ByteArrayOutputStream(); DataOutputStream d = new DataOutputStream(b);
d.writeInt(1); d.close(); rec(w, "VERSION", b.toByteArray());
b = new ByteArrayOutputStream(); d = new DataOutputStream(b); d.writeUTF("alice"); d.close(); rec(w, "APPLICATION_OWNER", b.toByteArray());
for (int c = 1; c <= 3; c++) {
  b = new ByteArrayOutputStream(); d = new DataOutputStream(b);
  StringBuilder s = new StringBuilder();
  for (int i = 0; i < 400 * c; i++) s.append("container " + c + " line " + i + "\n");
  byte[] bytes = s.toString().getBytes("UTF-8");
  d.writeUTF("stdout"); d.writeUTF(String.valueOf(bytes.length)); d.write(bytes);
  d.writeUTF("stderr"); d.writeUTF("0");
  d.close();
  rec(w, "container_1_0001_01_00000" + c, b.toByteArray());
}
w.close(); out.close();
System.out.println("wrote " + fs.getFileStatus(p).getLen());
/exit
