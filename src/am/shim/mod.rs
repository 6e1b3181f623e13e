//! The bridge to the Java shim (java-shim/): the child JVM that runs Hadoop's AMRMClientAsync and
//! NMClientAsync for the Rust ApplicationMaster.
//!
//! [`spawn`] starts `$JAVA_HOME/bin/java -cp $CLASSPATH skeinrs.shim.Shim` with three pipes,
//! exchanges hellos (protocol version check) and returns a [`ShimSender`] for commands and a
//! [`ShimEvents`] stream of events that ends with [`ShimMessage::Exited`] when the JVM goes away,
//! so the AM notices a dead shim at once. The JVM's stderr is copied to ours (the AM log) and
//! its tail kept for diagnostics. Dropping every [`ShimSender`] closes the shim's stdin, which
//! the shim reads as "the AM died" (it then unregisters FAILED). The protocol is in
//! [`protocol`] and java-shim/README.md.

/// The protocol types live in `skein-core` (the runtime interface); re-exported for callers here.
pub use skein_core::runtime as protocol;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command as Process};
use tokio::sync::mpsc;

use protocol::{Command, Event, PROTOCOL_VERSION, ProtocolError};

/// The shim's main class.
pub(crate) const MAIN_CLASS: &str = "skeinrs.shim.Shim";

/// How many lines of the shim's stderr a diagnostic quotes.
const STDERR_TAIL_LINES: usize = 15;

/// What can go wrong with the shim.
#[derive(Debug, thiserror::Error)]
pub enum ShimError {
    /// `JAVA_HOME` missing in the container environment.
    #[error(
        "JAVA_HOME is not set, so the YARN shim (Java) cannot start; the NodeManager passes it \
         to containers when it is in yarn.nodemanager.env-whitelist and set for the NodeManager"
    )]
    NoJava,
    /// The JVM could not be started.
    #[error("cannot start the YARN shim ({java}): {source}")]
    Spawn {
        /// The java binary.
        java: String,
        /// Why.
        source: std::io::Error,
    },
    /// The shim broke the protocol or speaks another version of it.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// No hello in time.
    #[error("the YARN shim did not start within {0:?}")]
    HelloTimeout(Duration),
    /// The shim is gone.
    #[error("the YARN shim (Java) exited unexpectedly: {0}")]
    Exited(ShimExit),
}

/// How to start the shim JVM.
#[derive(Debug, Clone)]
pub struct ShimConfig {
    /// The `java` executable.
    pub java: PathBuf,
    /// Its classpath: the cluster's `yarn.application.classpath` plus the shim jar.
    pub classpath: String,
    /// JVM options (heap size, JDK 17 module flags).
    pub jvm_options: Vec<String>,
}

impl ShimConfig {
    /// The shim as a YARN container runs it: `$JAVA_HOME/bin/java -cp $CLASSPATH` (the AM's
    /// `CLASSPATH` holds `./*`, where the staged shim jar is localized, and the cluster's
    /// `yarn.application.classpath`), its heap sized from the AM container's memory (see
    /// [`shim_heap_mb`]).
    pub fn from_container_env(master_memory_mb: i32) -> Result<Self, ShimError> {
        let java_home = std::env::var_os("JAVA_HOME")
            .filter(|v| !v.is_empty())
            .ok_or(ShimError::NoJava)?;
        Ok(ShimConfig {
            java: PathBuf::from(java_home).join("bin").join("java"),
            classpath: std::env::var("CLASSPATH").unwrap_or_else(|_| "./*".to_string()),
            jvm_options: jvm_options(shim_heap_mb(master_memory_mb)),
        })
    }
}

/// The least heap the shim gets (Skein's AM JVM had 128 MiB in all).
pub const MIN_SHIM_HEAP_MB: i64 = 128;

/// The shim's heap in an AM container of `master_memory_mb`: 40 %, at least
/// [`MIN_SHIM_HEAP_MB`]. The rest of the container is for the JVM outside its heap (metaspace
/// for Hadoop's client classes, code cache, thread stacks: ~100 MiB) and for the Rust AM (~30
/// MiB plus ~1 KiB per container), so the NodeManager's memory check never trips on the default
/// 512 MiB (a 204 MiB heap) and a larger `master.resources.memory` gives the shim room for more
/// outstanding requests.
pub fn shim_heap_mb(master_memory_mb: i32) -> i64 {
    (i64::from(master_memory_mb) * 2 / 5).max(MIN_SHIM_HEAP_MB)
}

/// Heap cap, exit on OutOfMemoryError (a shim out of memory must end, so that the AM reports it,
/// rather than linger without reading commands), and the JDK 17 flags Hadoop itself adds to
/// container JVMs (MAPREDUCE-7456); `IgnoreUnrecognizedVMOptions` keeps old JVMs happy with them.
pub fn jvm_options(heap_mb: i64) -> Vec<String> {
    let mut options = vec![format!("-Xmx{heap_mb}m")];
    options.extend(
        [
            "-XX:+IgnoreUnrecognizedVMOptions",
            "-XX:+ExitOnOutOfMemoryError",
            "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-exports=java.base/sun.net.dns=ALL-UNNAMED",
            "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
        ]
        .map(String::from),
    );
    options
}

/// `killed by signal 9 (SIGKILL)` or `exit code 3`: the words the shim uses for the Rust side's
/// end too (java-shim/README.md).
pub(crate) fn describe_exit(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => {
            let name = match signal {
                libc::SIGKILL => " (SIGKILL)",
                libc::SIGTERM => " (SIGTERM)",
                libc::SIGSEGV => " (SIGSEGV)",
                libc::SIGABRT => " (SIGABRT)",
                _ => "",
            };
            format!("killed by signal {signal}{name}")
        }
        (None, None) => format!("{status}"),
    }
}

/// How the shim ended: exit status and the end of its stderr.
#[derive(Debug, Clone)]
pub struct ShimExit {
    /// None when it could not be collected.
    pub status: Option<ExitStatus>,
    /// Last lines of its stderr.
    pub stderr_tail: Vec<String>,
}

impl std::fmt::Display for ShimExit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(status) => write!(f, "{}", describe_exit(status))?,
            None => write!(f, "exit status unknown")?,
        }
        if !self.stderr_tail.is_empty() {
            write!(
                f,
                "; last lines of its output:\n{}",
                self.stderr_tail.join("\n")
            )?;
        }
        Ok(())
    }
}

/// What the shim says, ending with its exit.
#[derive(Debug, Clone)]
pub enum ShimMessage {
    /// A protocol event.
    Event(Event),
    /// The shim's stdout closed and the process ended; nothing follows.
    Exited(ShimExit),
}

/// Sends commands to the shim (cheap to clone; the shim's stdin closes when all are dropped).
#[derive(Debug, Clone)]
pub struct ShimSender {
    tx: mpsc::UnboundedSender<Command>,
}

impl ShimSender {
    /// Queues a command; fails only when the shim's stdin is already gone.
    pub fn send(&self, command: Command) -> Result<(), ShimError> {
        self.tx.send(command).map_err(|_| {
            ShimError::Exited(ShimExit {
                status: None,
                stderr_tail: vec!["(its stdin is closed)".into()],
            })
        })
    }
}

/// The shim's events, in order.
#[derive(Debug)]
pub struct ShimEvents {
    rx: mpsc::UnboundedReceiver<ShimMessage>,
    exit: Option<ShimExit>,
}

impl ShimEvents {
    /// Whether the shim's exit was already seen.
    pub fn has_exited(&self) -> bool {
        self.exit.is_some()
    }

    /// The next message; after [`ShimMessage::Exited`], that exit again.
    pub async fn next(&mut self) -> ShimMessage {
        if let Some(exit) = &self.exit {
            return ShimMessage::Exited(exit.clone());
        }
        let message = self.rx.recv().await.unwrap_or_else(|| {
            ShimMessage::Exited(ShimExit {
                status: None,
                stderr_tail: Vec::new(),
            })
        });
        if let ShimMessage::Exited(exit) = &message {
            self.exit = Some(exit.clone());
        }
        message
    }
}

/// Facts from the shim's hello.
#[derive(Debug, Clone)]
pub struct ShimInfo {
    /// Hadoop version of the client jars it runs on.
    pub hadoop_version: String,
    /// Its JVM version.
    pub java_version: String,
}

type Tail = Arc<Mutex<VecDeque<String>>>;

/// Starts the shim and exchanges hellos.
///
/// # Errors
/// [`ShimError::Spawn`] when java does not start, [`ShimError::HelloTimeout`] /
/// [`ShimError::Exited`] when it does not say hello, [`ProtocolError::VersionMismatch`] when it
/// speaks another protocol.
pub async fn spawn(
    config: &ShimConfig,
    hello_timeout: Duration,
) -> Result<(ShimSender, ShimEvents, ShimInfo), ShimError> {
    let mut child = Process::new(&config.java)
        .args(&config.jvm_options)
        .arg("-cp")
        .arg(&config.classpath)
        .arg(MAIN_CLASS)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| ShimError::Spawn {
            java: config.java.display().to_string(),
            source,
        })?;
    let (Some(mut stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(ShimError::Spawn {
            java: config.java.display().to_string(),
            source: std::io::Error::other("pipes missing"),
        });
    };
    let tail: Tail = Arc::default();
    tokio::spawn(copy_stderr(stderr, tail.clone()));
    let mut lines = BufReader::new(stdout).lines();

    let first = match tokio::time::timeout(hello_timeout, lines.next_line()).await {
        Err(_) => {
            let _ = child.kill().await;
            return Err(ShimError::HelloTimeout(hello_timeout));
        }
        Ok(Ok(Some(line))) => line,
        Ok(_) => return Err(ShimError::Exited(collect_exit(&mut child, &tail).await)),
    };
    let hello = protocol::decode_event(&first)?;
    protocol::check_hello(&hello)?;
    let Event::Hello {
        hadoop_version,
        java_version,
        ..
    } = hello
    else {
        return Err(ProtocolError::Unreadable {
            line: first,
            reason: "not a hello".into(),
        }
        .into());
    };
    let line = protocol::encode_command(&Command::Hello {
        protocol: PROTOCOL_VERSION,
    });
    if stdin.write_all(line.as_bytes()).await.is_err() {
        return Err(ShimError::Exited(collect_exit(&mut child, &tail).await));
    }

    let (command_tx, mut command_rx) = mpsc::unbounded_channel::<Command>();
    tokio::spawn(async move {
        while let Some(command) = command_rx.recv().await {
            let line = protocol::encode_command(&command);
            if stdin.write_all(line.as_bytes()).await.is_err() || stdin.flush().await.is_err() {
                break; // the reader side reports the exit
            }
        }
        // Dropping stdin here is the shim's signal that the AM is gone.
    });

    let (event_tx, event_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            match lines.next_line().await {
                Ok(Some(line)) if line.trim().is_empty() => {}
                Ok(Some(line)) => match protocol::decode_event(&line) {
                    Ok(event) => {
                        let _ = event_tx.send(ShimMessage::Event(event));
                    }
                    // stdout is reserved for the protocol, but a stray line must not kill the AM.
                    Err(e) => tracing::warn!("{e}"),
                },
                Ok(None) | Err(_) => break,
            }
        }
        let exit = collect_exit(&mut child, &tail).await;
        let _ = event_tx.send(ShimMessage::Exited(exit));
    });

    Ok((
        ShimSender { tx: command_tx },
        ShimEvents {
            rx: event_rx,
            exit: None,
        },
        ShimInfo {
            hadoop_version,
            java_version,
        },
    ))
}

async fn copy_stderr(stderr: tokio::process::ChildStderr, tail: Tail) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        eprintln!("{line}");
        if let Ok(mut t) = tail.lock() {
            if t.len() == STDERR_TAIL_LINES {
                t.pop_front();
            }
            t.push_back(line);
        }
    }
}

/// Waits for the child after its stdout closed (killing it if it lingers) and reports it.
async fn collect_exit(child: &mut Child, tail: &Tail) -> ShimExit {
    let status = match tokio::time::timeout(Duration::from_secs(5), child.wait()).await {
        Ok(Ok(status)) => Some(status),
        _ => {
            let _ = child.kill().await;
            child.wait().await.ok()
        }
    };
    // Let the stderr copier drain the last lines.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stderr_tail = tail
        .lock()
        .map(|t| t.iter().cloned().collect())
        .unwrap_or_default();
    ShimExit {
        status,
        stderr_tail,
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt;

    use super::*;

    #[test]
    fn the_heap_follows_the_am_containers_memory() {
        assert_eq!(shim_heap_mb(512), 204);
        assert_eq!(shim_heap_mb(4096), 1638);
        assert_eq!(shim_heap_mb(128), MIN_SHIM_HEAP_MB);
        assert_eq!(shim_heap_mb(i32::MAX), 858_993_458);
        let options = jvm_options(shim_heap_mb(1024));
        assert_eq!(options[0], "-Xmx409m");
        assert!(options.contains(&"-XX:+ExitOnOutOfMemoryError".to_string()));
    }

    #[test]
    fn exits_are_described_by_code_or_signal() {
        assert_eq!(
            describe_exit(ExitStatus::from_raw(9)),
            "killed by signal 9 (SIGKILL)"
        );
        assert_eq!(describe_exit(ExitStatus::from_raw(3 << 8)), "exit code 3");
        assert_eq!(describe_exit(ExitStatus::from_raw(1)), "killed by signal 1");
    }
}
