//! `skein application logs --follow` and `skein container logs` on the real cluster: a
//! service prints a numbered line every 100 ms; the followed output has every number of every
//! container once and in order, across a scale-up and the end of the application.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::fixtures::Cli;

/// How many lines each container prints.
const LINES: u32 = 150;

/// The numbers after `prefix` ("counter_0 counter.log: line ") in `text`, in order.
fn numbers(text: &str, prefix: &str) -> Vec<u32> {
    text.lines()
        .filter_map(|l| l.strip_prefix(prefix))
        .filter_map(|n| n.trim().parse().ok())
        .collect()
}

#[test]
fn followed_logs_have_every_line_once_in_order_across_a_scale_up_and_the_end() {
    let cli = Cli::with_app_credentials();
    let (code, _, err) = cli.run(&["driver", "start"]);
    assert_eq!(code, 0, "{err}");
    let dir = tempfile::tempdir().expect("spec dir");
    let spec = dir.path().join("counter.yaml");
    std::fs::write(
        &spec,
        format!(
            "name: follow-{}\nservices:\n  counter:\n    resources:\n      memory: 32\n      \
             vcores: 1\n    script: for i in $(seq 1 {LINES}); do echo \"line $i\"; sleep 0.1; \
             done\n",
            std::process::id()
        ),
    )
    .expect("write spec");
    let (code, id, err) = cli.run(&["application", "submit", &spec.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");

    let out_path = dir.path().join("followed.txt");
    let out = std::fs::File::create(&out_path).expect("output file");
    let mut follower = cli
        .command(&["application", "logs", "--follow", &id])
        .stdout(out)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start skein application logs --follow");

    // Lines arrive while the application runs: scale it up then.
    let start = Instant::now();
    let seen = loop {
        let text = std::fs::read_to_string(&out_path).unwrap_or_default();
        if numbers(&text, "counter_0 counter.log: line ").contains(&20) {
            break text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "no live line 20 of counter_0: {text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let (code, status, err) = cli.run(&["application", "status", &id]);
    assert!(
        code == 0 && status.contains("RUNNING"),
        "line 20 was printed while the application ran: {status} {err}\n{seen}"
    );
    let (code, _, err) = cli.run(&[
        "container",
        "scale",
        &id,
        "--service",
        "counter",
        "--number",
        "2",
    ]);
    assert_eq!(code, 0, "{err}");

    // The follower ends by itself once the application has ended and its logs are read.
    let start = Instant::now();
    let status = loop {
        if let Some(status) = follower.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(240) {
            let _ = follower.kill();
            panic!("--follow did not end after the application");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let text = std::fs::read_to_string(&out_path).expect("output");
    assert!(status.success(), "--follow failed:\n{text}");
    let every: Vec<u32> = (1..=LINES).collect();
    for container in ["counter_0", "counter_1"] {
        assert_eq!(
            numbers(&text, &format!("{container} counter.log: line ")),
            every,
            "{container}: every line once, in order:\n{text}"
        );
    }
    assert!(
        text.contains("application_master application.master.log: "),
        "the AM's log is followed too:\n{text}"
    );

    // One container's logs after the end, from the aggregated logs.
    let one = cli.stdout(&[
        "container",
        "logs",
        &id,
        "--id",
        "counter_1",
        "--log-file",
        "counter.log",
    ]);
    assert_eq!(
        numbers(&one, "counter_1 counter.log: line "),
        every,
        "{one}"
    );
    assert!(!one.contains("counter_0"), "{one}");
}
