//! Staging on the real HDFS: folder and file modes, size and timestamp as YARN needs them, and
//! the content cache that uploads a binary once.

use bytes::Bytes;
use skein_hadoop::hdfs::Hdfs;
use skein_hadoop::hdfs::staging::{DIR_MODE, FILE_MODE};

use crate::fixtures::{current_user, hdfs_as};

fn hdfs() -> Hdfs {
    hdfs_as(&current_user())
}

#[tokio::test]
async fn staged_files_are_private_and_described_for_yarn() {
    let fs = hdfs();
    let app_id = format!("application_0_{}", std::process::id());
    let dir = fs.staging_dir(&app_id);
    fs.create_dir(&dir, DIR_MODE).await.expect("mkdir");
    let dir_status = fs.client().get_file_info(&dir).await.expect("stat dir");
    assert_eq!(u32::from(dir_status.permission), 0o700);

    let local = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(local.path(), b"echo hello\n").expect("write");
    let staged = fs
        .stage_local_file(&app_id, local.path(), skein_core::spec::FileType::File)
        .await
        .expect("stage");
    assert_eq!(staged.uploaded_bytes, 11);
    assert_eq!(staged.file.size, 11);
    assert!(
        staged.file.source.starts_with(fs.default_fs()),
        "{:?}",
        staged.file
    );
    let path = staged
        .file
        .source
        .strip_prefix(fs.default_fs())
        .expect("on the default fs");
    let status = fs.client().get_file_info(path).await.expect("stat");
    assert_eq!(u32::from(status.permission), FILE_MODE);
    assert_eq!(staged.file.timestamp, status.modification_time as i64);

    assert!(fs.remove_staging_dir(&app_id).await.expect("remove"));
    assert!(
        fs.client().get_file_info(&dir).await.is_err(),
        "staging folder still there"
    );
}

#[tokio::test]
async fn the_cache_uploads_a_content_once() {
    let fs = hdfs();
    let content = Bytes::from(format!(
        "binary {} {:?}",
        std::process::id(),
        std::time::SystemTime::now()
    ));
    let first = fs
        .stage_cached("skein", content.clone())
        .await
        .expect("first");
    assert_eq!(first.uploaded_bytes, content.len() as u64);
    let second = fs
        .stage_cached("skein", content.clone())
        .await
        .expect("second");
    assert_eq!(
        second.uploaded_bytes, 0,
        "the second stage must reuse the cached copy"
    );
    assert_eq!(first.file, second.file);
    let other = fs
        .stage_cached("skein", Bytes::from_static(b"another content"))
        .await
        .expect("other");
    assert_ne!(other.file.source, first.file.source);
}

#[tokio::test]
async fn concurrent_uploads_of_one_content_from_one_process_agree() {
    // A driver serves several submits at once: after a new build, the first ones all miss the
    // cache and upload the same binary. Each must get the one cached copy, unchanged after.
    let fs = hdfs();
    let content = Bytes::from(format!(
        "concurrent {} {:?}",
        std::process::id(),
        std::time::SystemTime::now()
    ));
    let (a, b, c) = tokio::join!(
        fs.stage_cached("skein", content.clone()),
        fs.stage_cached("skein", content.clone()),
        fs.stage_cached("skein", content.clone()),
    );
    let staged: Vec<_> = [a, b, c]
        .into_iter()
        .map(|s| s.expect("a concurrent stage").file)
        .collect();
    assert!(staged.iter().all(|r| *r == staged[0]), "{staged:#?}");
    let again = fs.stage_cached("skein", content).await.expect("cached");
    assert_eq!(again.file, staged[0], "the cached copy was replaced");
}
