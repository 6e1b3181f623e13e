package org.apache.hadoop.io;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * The secure test cluster's stand-in for Hadoop's SecureIOUtils, on the NodeManager's class path
 * only (it is compiled apart from the cluster's classes and never shipped to containers).
 *
 * <p>Hadoop's class refuses to load when security is on and the native libhadoop is missing
 * ("Secure IO is not possible without native code extensions"), and its check then expects every
 * container log file to belong to the application's user. Neither holds on this test cluster:
 * there is no libhadoop among Hadoop's Maven artifacts, and the DefaultContainerExecutor runs
 * every container as the NodeManager's own OS user. Without this class the NodeManager could not
 * aggregate logs, nor serve them on its web pages, in secure mode.
 *
 * <p>Same API. The owner check is made in Java (no native fstat), on the file the path names
 * without following a final symlink, and accepts the application's user or the NodeManager's
 * OS user (the owner of every file a DefaultContainerExecutor container writes). Creating files
 * works as Hadoop's does without native code: refuse an existing file, then set permissions.
 */
public class SecureIOUtils {
  private static final FileSystem RAW;
  private static final String PROCESS_USER = System.getProperty("user.name");

  static {
    try {
      RAW = FileSystem.getLocal(new Configuration()).getRaw();
    } catch (IOException e) {
      throw new RuntimeException("Couldn't obtain an instance of RawLocalFileSystem.", e);
    }
  }

  public static RandomAccessFile openForRandomRead(File f, String mode, String expectedOwner,
      String expectedGroup) throws IOException {
    return forceSecureOpenForRandomRead(f, mode, expectedOwner, expectedGroup);
  }

  protected static RandomAccessFile forceSecureOpenForRandomRead(File f, String mode,
      String expectedOwner, String expectedGroup) throws IOException {
    checkOwner(f, expectedOwner);
    return new RandomAccessFile(f, mode);
  }

  public static FSDataInputStream openFSDataInputStream(File file, String expectedOwner,
      String expectedGroup) throws IOException {
    return forceSecureOpenFSDataInputStream(file, expectedOwner, expectedGroup);
  }

  protected static FSDataInputStream forceSecureOpenFSDataInputStream(File file,
      String expectedOwner, String expectedGroup) throws IOException {
    checkOwner(file, expectedOwner);
    return RAW.open(new Path(file.getAbsolutePath()));
  }

  public static FileInputStream openForRead(File f, String expectedOwner, String expectedGroup)
      throws IOException {
    return forceSecureOpenForRead(f, expectedOwner, expectedGroup);
  }

  protected static FileInputStream forceSecureOpenForRead(File f, String expectedOwner,
      String expectedGroup) throws IOException {
    checkOwner(f, expectedOwner);
    return new FileInputStream(f);
  }

  public static FileOutputStream createForWrite(File f, int permissions) throws IOException {
    if (f.exists()) {
      throw new AlreadyExistsException("File " + f + " already exists");
    }
    FileOutputStream out = new FileOutputStream(f);
    try {
      RAW.setPermission(new Path(f.getAbsolutePath()), new FsPermission((short) permissions));
      return out;
    } catch (IOException | RuntimeException e) {
      out.close();
      throw e;
    }
  }

  private static void checkOwner(File f, String expectedOwner) throws IOException {
    if (expectedOwner == null) return;
    PosixFileAttributes attrs = Files.getFileAttributeView(f.toPath(),
        PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes();
    if (attrs.isSymbolicLink()) {
      throw new IOException("Path " + f + " is a symbolic link");
    }
    String owner = attrs.owner().getName();
    if (!owner.equals(expectedOwner) && !owner.equals(PROCESS_USER)) {
      throw new IOException("Owner '" + owner + "' for path " + f + " did not match expected"
          + " owner '" + expectedOwner + "' (nor the NodeManager's user '" + PROCESS_USER + "')");
    }
  }

  /** A file to be created exists already. */
  public static class AlreadyExistsException extends IOException {
    private static final long serialVersionUID = 1L;

    public AlreadyExistsException(String msg) {
      super(msg);
    }

    public AlreadyExistsException(Throwable cause) {
      super(cause);
    }
  }
}
