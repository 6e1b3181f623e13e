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
        .stage_local_file(
            &app_id,
            local.path(),
            skein_core::spec::FileType::File,
            &|_| {},
        )
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
async fn a_large_local_file_is_uploaded_in_pieces_each_reported_and_arrives_whole() {
    use skein_hadoop::hdfs::staging::UPLOAD_PIECE_BYTES;
    use std::sync::Mutex;
    let fs = hdfs();
    let app_id = format!("application_1_{}", std::process::id());
    // Two whole pieces and a few bytes, every byte depending on its offset.
    let size = 2 * UPLOAD_PIECE_BYTES + 3;
    let content: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
    let local = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(local.path(), &content).expect("write");
    let pieces = Mutex::new(Vec::new());
    let staged = fs
        .stage_local_file(
            &app_id,
            local.path(),
            skein_core::spec::FileType::File,
            &|n| pieces.lock().expect("pieces").push(n),
        )
        .await
        .expect("stage");
    let piece = UPLOAD_PIECE_BYTES as u64;
    assert_eq!(*pieces.lock().expect("pieces"), vec![piece, piece, 3]);
    assert_eq!(staged.uploaded_bytes, size as u64);
    assert_eq!(staged.file.size, size as i64);
    let path = staged
        .file
        .source
        .strip_prefix(fs.default_fs())
        .expect("on the default fs")
        .to_string();
    let reader = fs.client().read(&path).await.expect("open");
    let read = reader.read_range(0, size).await.expect("read back");
    assert!(read[..] == content[..], "the staged copy differs");
    assert!(fs.remove_staging_dir(&app_id).await.expect("remove"));
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

/// A leftover staging folder for `id` holding a file, last modified two hours ago.
async fn leftover(fs: &Hdfs, id: &str) {
    let dir = fs.staging_dir(id);
    fs.write_file(
        &format!("{dir}/.skein.pem"),
        Bytes::from_static(b"key"),
        FILE_MODE,
    )
    .await
    .expect("write");
    backdate(fs, id).await;
}

/// Makes `id`'s staging folder look untouched for two hours.
async fn backdate(fs: &Hdfs, id: &str) {
    let dir = fs.staging_dir(id);
    let two_hours_ago = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64
        - 2 * 3600 * 1000;
    fs.client()
        .set_times(&dir, two_hours_ago, two_hours_ago)
        .await
        .expect("backdate");
}

async fn exists(fs: &Hdfs, id: &str) -> bool {
    fs.client().get_file_info(&fs.staging_dir(id)).await.is_ok()
}

#[tokio::test]
async fn the_sweeper_removes_leftovers_of_ended_and_never_submitted_applications_only() {
    // On the heap: the story's future holds HDFS, ResourceManager and submit futures inline,
    // more than a debug build's test thread has stack for.
    Box::pin(sweeper_story()).await;
}

async fn sweeper_story() {
    use crate::fixtures::{
        Cli, LONG, app, resource_manager, service, submit, submit_one, wait_for,
        wait_until_finished, wait_until_state,
    };
    use skein::driver::sweeper::{Removal, sweep_once};
    use skein_hadoop::yarn::ApplicationState;
    use std::time::Duration;

    let fs = hdfs();
    let rm = resource_manager();
    // A submit that crashed after staging: YARN gave the id but never got the application.
    let never = rm
        .new_application()
        .await
        .expect("new-application")
        .application_id;
    leftover(&fs, &never).await;
    // An application that ended without its AM's clean-up.
    let ended = submit_one("sweep-ended", "true").await;
    wait_until_finished(&rm, &ended, LONG).await;
    // Its AM's own clean-up first, then the "leftover".
    wait_for("the AM to remove its staging folder", LONG, || async {
        (!exists(&fs, &ended).await).then_some(())
    })
    .await;
    leftover(&fs, &ended).await;
    // A running application keeps its folder, however old.
    let running = submit(&app(
        "sweep-running",
        serde_json::json!({"s": service("sleep 600")}),
    ))
    .await;
    wait_until_state(&rm, &running, ApplicationState::Running).await;
    leftover(&fs, &running).await;
    // Another cluster's id: not ours to judge.
    let foreign = "application_1_0001";
    leftover(&fs, foreign).await;
    // A submit that reached YARN but was interrupted before its client got an answer (the
    // driver died): its folder kept the submit marker, and the application runs on, unknown.
    let interrupted = submit(&app(
        "sweep-interrupted",
        serde_json::json!({"s": service("sleep 600")}),
    ))
    .await;
    wait_until_state(&rm, &interrupted, ApplicationState::Running).await;
    fs.write_submit_marker(&interrupted, "a test")
        .await
        .expect("marker");
    backdate(&fs, &interrupted).await;
    // The same, still being submitted by this driver: left alone whatever its age.
    let submitting = submit(&app(
        "sweep-submitting",
        serde_json::json!({"s": service("sleep 600")}),
    ))
    .await;
    fs.write_submit_marker(&submitting, "a test")
        .await
        .expect("marker");
    backdate(&fs, &submitting).await;
    let in_progress = skein::driver::sweeper::SubmitsInProgress::default();
    let _submitting = in_progress.begin(&submitting);

    let report = sweep_once(&rm, &fs, Duration::from_secs(60), &in_progress)
        .await
        .expect("sweep");
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert!(
        report.removed.contains(&(
            interrupted.clone(),
            Removal::Interrupted(ApplicationState::Running)
        )),
        "{:?}",
        report.removed
    );
    let killed = wait_until_finished(&rm, &interrupted, LONG).await;
    assert_eq!(killed.state, ApplicationState::Killed, "{killed:?}");
    assert!(!exists(&fs, &interrupted).await);
    assert!(
        exists(&fs, &submitting).await,
        "a folder of a submit in progress was removed"
    );
    let state = rm.application(&submitting).await.expect("report").state;
    assert!(!state.is_terminal(), "{state:?}");
    assert!(
        report
            .removed
            .contains(&(never.clone(), Removal::NeverSubmitted)),
        "{:?}",
        report.removed
    );
    assert!(
        report
            .removed
            .contains(&(ended.clone(), Removal::Finished(ApplicationState::Finished))),
        "{:?}",
        report.removed
    );
    assert!(!exists(&fs, &never).await && !exists(&fs, &ended).await);
    assert!(
        exists(&fs, &running).await,
        "a running application's folder was removed"
    );
    assert!(exists(&fs, foreign).await, "a foreign folder was removed");

    // The global driver sweeps at start and logs each removal.
    let again = rm
        .new_application()
        .await
        .expect("new-application")
        .application_id;
    leftover(&fs, &again).await;
    let cli = Cli::new();
    let started = cli
        .command(&["driver", "start"])
        .env("SKEIN_STAGING_GRACE", "60")
        .output()
        .expect("driver start");
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    let logs = cli.config_dir().join("logs");
    let logged = wait_for("the driver's sweep", LONG, || async {
        let text: String = std::fs::read_dir(&logs)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect();
        text.contains(&format!(
            "removed the staging folder {}",
            fs.staging_dir(&again)
        ))
        .then_some(text)
    })
    .await;
    assert!(
        logged.contains("the ResourceManager never knew the application"),
        "{logged}"
    );
    assert!(!exists(&fs, &again).await);
    let _ = cli.run(&["driver", "stop"]);

    rm.kill(&running).await.expect("kill");
    rm.kill(&submitting).await.expect("kill");
    fs.remove_staging_dir(&submitting).await.expect("clean up");
    fs.client()
        .delete(&fs.staging_dir(foreign), true)
        .await
        .expect("remove the foreign folder");
    fs.remove_staging_dir(&running).await.expect("clean up");
}
