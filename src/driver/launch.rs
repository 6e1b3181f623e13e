//! The client side of the launch handshake: start a driver process and learn its address.
//!
//! [`launch_driver`] is what Python's `_start_driver` does: open a callback socket on
//! `127.0.0.1`, start the driver in a new session with `SKEIN_CERTIFICATE`, `SKEIN_KEY` and
//! `SKEIN_CALLBACK_PORT`, and read the big-endian `int32` port it sends. [`PrivateDriver`] is
//! a driver owned by one client, stopped by closing its stdin; [`connect_default_driver`] is
//! the CLI's rule (Python's `get_driver()`): the global driver if one is recorded, else a
//! private one.

use std::io::Read;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tonic::transport::Channel;

use crate::client::discovery::read_global_driver;
use crate::client::{ClientError, connect_driver, ping_driver};
use crate::driver::daemon::ENV_CALLBACK_PORT;
use crate::driver::error::ControlError;
use crate::driver::logging::LogLevel;
use crate::proto::driver_client::DriverClient;
use crate::security::Credentials;
use crate::security::credentials::{ENV_CERTIFICATE, ENV_KEY};

/// How long a new driver may take to call back.
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a private driver may take to exit after its stdin is closed.
pub(crate) const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts `command` (a driver) with the handshake's environment in a new session and waits
/// for its port. The caller chooses stdin and the output streams; `log` is only named in
/// errors. Returns the child and `127.0.0.1:PORT`.
///
/// # Errors
/// [`ControlError::Spawn`] or [`ControlError::StartFailed`] (exit before the callback, no
/// callback within [`START_TIMEOUT`], unreadable port).
pub(crate) async fn launch_driver(
    mut command: Command,
    credentials: &Credentials,
    log: Option<&Path>,
) -> Result<(Child, String), ControlError> {
    let failed = |reason: String| ControlError::StartFailed {
        reason,
        log: log.map(Path::to_path_buf),
    };
    let callback = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
        .and_then(|listener| {
            listener
                .local_addr()
                .map(|address| (listener, address.port()))
        });
    let (callback, callback_port) =
        callback.map_err(|err| failed(format!("cannot open a callback socket: {err}")))?;

    command
        .env(ENV_CERTIFICATE, credentials.cert_pem())
        .env(ENV_KEY, credentials.key_pem())
        .env(ENV_CALLBACK_PORT, callback_port.to_string());
    // SAFETY: setsid is async-signal-safe; like Python's `start_new_session=True` it keeps
    // the terminal's Ctrl-C and hang-up away from the driver.
    unsafe {
        command.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let program = PathBuf::from(command.get_program());
    let mut child = command
        .spawn()
        .map_err(|source| ControlError::Spawn { program, source })?;

    let started = Instant::now();
    loop {
        match callback.accept() {
            Ok((mut stream, _)) => {
                let mut port = [0u8; 4];
                stream
                    .set_nonblocking(false)
                    .and_then(|()| stream.set_read_timeout(Some(Duration::from_secs(10))))
                    .and_then(|()| stream.read_exact(&mut port))
                    .map_err(|err| failed(format!("Failed to read in client port: {err}")))?;
                let port = i32::from_be_bytes(port);
                return Ok((child, format!("127.0.0.1:{port}")));
            }
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(err) => return Err(failed(format!("callback socket failed: {err}"))),
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(failed(format!("it exited with {status}")));
        }
        if started.elapsed() > START_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(failed(format!("no callback within {START_TIMEOUT:?}")));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A driver serving one client: it logs to this process's stderr and exits when closed or
/// dropped (its stdin pipe is closed).
#[derive(Debug)]
pub struct PrivateDriver {
    address: String,
    child: Option<Child>,
}

impl PrivateDriver {
    /// Starts `<program> driver serve --log-level LEVEL` with the handshake.
    ///
    /// # Errors
    /// As [`launch_driver`].
    pub async fn spawn(
        program: &Path,
        credentials: &Credentials,
        log_level: LogLevel,
    ) -> Result<Self, ControlError> {
        let mut command = Command::new(program);
        command
            .args(["driver", "serve", "--log-level"])
            .arg(log_level.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let (child, address) = launch_driver(command, credentials, None).await?;
        Ok(Self {
            address,
            child: Some(child),
        })
    }

    /// `127.0.0.1:PORT`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The driver's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Closes the driver's stdin and waits for it to exit (killing it after
    /// [`CLOSE_TIMEOUT`]). Waiting yields to the runtime, so clients still connected can
    /// answer the driver's HTTP/2 GOAWAY and it exits at once.
    ///
    /// # Errors
    /// IO errors from waiting.
    pub async fn close(mut self) -> std::io::Result<Option<ExitStatus>> {
        let Some(mut child) = self.child.take() else {
            return Ok(None);
        };
        drop(child.stdin.take());
        let deadline = Instant::now() + CLOSE_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait()? {
                return Ok(Some(status));
            }
            if Instant::now() > deadline {
                child.kill()?;
                return child.wait().map(Some);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Dropping without [`PrivateDriver::close`] still stops the driver: its stdin closes, and
/// it is killed if it has not exited after [`CLOSE_TIMEOUT`].
impl Drop for PrivateDriver {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        drop(child.stdin.take());
        let deadline = Instant::now() + CLOSE_TIMEOUT;
        while matches!(child.try_wait(), Ok(None)) {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The CLI's driver: the global one when `config_dir` records one (it must answer), else a new
/// [`PrivateDriver`] started from `program`, returned alongside so the caller keeps it alive.
///
/// # Errors
/// [`ControlError`] when the recorded driver does not answer or a private one fails to start.
pub async fn connect_default_driver(
    config_dir: &Path,
    credentials: &Credentials,
    program: &Path,
    log_level: LogLevel,
) -> Result<(DriverClient<Channel>, Option<PrivateDriver>), ControlError> {
    let unable = |err: ClientError| ControlError::Connect(err.to_string());
    if let Some(global) = read_global_driver(config_dir) {
        if let Err(err) = ping_driver(&global.address, credentials).await {
            if !crate::driver::control::pid_exists(global.pid) {
                return Err(ControlError::Dead {
                    address: global.address,
                    pid: global.pid,
                    log_dir: crate::driver::logging::driver_log_dir(config_dir),
                });
            }
            return Err(unable(err));
        }
        let client = connect_driver(&global.address, credentials)
            .await
            .map_err(unable)?;
        return Ok((client, None));
    }
    let private = PrivateDriver::spawn(program, credentials, log_level).await?;
    ping_driver(private.address(), credentials)
        .await
        .map_err(unable)?;
    let client = connect_driver(private.address(), credentials)
        .await
        .map_err(unable)?;
    Ok((client, Some(private)))
}
