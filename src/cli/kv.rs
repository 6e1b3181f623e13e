//! `skein kv get|put|del|ls|watch APP_ID`: an application's key-value store, through its
//! ApplicationMaster (`current` inside a container).

use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Subcommand;
use tokio_stream::StreamExt;

use super::appclient::{connect, rpc_error};
use crate::proto::{
    DeleteRangeRequest, GetRangeRequest, PutKeyRequest, WatchCreateRequest, WatchRequest,
    delete_range_request, get_range_request, watch_create_request, watch_request, watch_response,
};

/// `skein kv` subcommands.
#[derive(Debug, Subcommand)]
pub enum KvCommand {
    /// Get a value from the key-value store
    Get {
        /// The application id ('current' inside a container)
        app_id: String,
        /// The key to get
        #[arg(long)]
        key: String,
        /// If true, will block until the key is set
        #[arg(long)]
        wait: bool,
    },
    /// Put a value in the key-value store
    Put {
        /// The application id ('current' inside a container)
        app_id: String,
        /// The key to put
        #[arg(long)]
        key: String,
        /// The value to put (read from stdin when absent)
        #[arg(long)]
        value: Option<String>,
    },
    /// Delete a value from the key-value store
    Del {
        /// The application id ('current' inside a container)
        app_id: String,
        /// The key to delete
        #[arg(long)]
        key: String,
    },
    /// List all keys in the key-value store
    Ls {
        /// The application id ('current' inside a container)
        app_id: String,
    },
    /// Print the store's changes, one line per event, until the application ends
    Watch {
        /// The application id ('current' inside a container)
        app_id: String,
        /// Only keys starting with this prefix
        #[arg(long)]
        prefix: Option<String>,
    },
}

/// The range of exactly `key`.
fn key_end(key: &str) -> String {
    format!("{key}\u{0}")
}

/// Python's `next_key`: the end of the range of keys starting with `prefix` ("" = unbounded).
fn prefix_end(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(u32::from(last) + 1) {
            chars.push(next);
            return chars.into_iter().collect();
        }
    }
    String::new()
}

/// Runs a `skein kv` subcommand.
pub fn run(command: KvCommand) -> anyhow::Result<ExitCode> {
    super::runtime()?.block_on(async {
        match command {
            KvCommand::Get { app_id, key, wait } => get(&app_id, &key, wait).await,
            KvCommand::Put { app_id, key, value } => {
                let value = match value {
                    Some(v) => v.into_bytes(),
                    None => {
                        let mut buf = Vec::new();
                        std::io::stdin()
                            .read_to_end(&mut buf)
                            .context("cannot read the value from stdin")?;
                        buf
                    }
                };
                // The AM would refuse it with the same message; saying so here spares the
                // upload.
                if value.len() + key.len() > skein_core::kv::MAX_ENTRY_BYTES {
                    anyhow::bail!(skein_core::kv::KvError::entry_too_large(&key, value.len()));
                }
                let mut app = connect(&app_id).await?;
                app.client
                    .put_key(PutKeyRequest {
                        key,
                        value,
                        // Python's `kv.put(key, value)` leaves the owner unchanged.
                        ignore_owner: true,
                        ..Default::default()
                    })
                    .await
                    .map_err(rpc_error)?;
                Ok(ExitCode::SUCCESS)
            }
            KvCommand::Del { app_id, key } => {
                let mut app = connect(&app_id).await?;
                let deleted = app
                    .client
                    .delete_range(DeleteRangeRequest {
                        end: key_end(&key),
                        start: key.clone(),
                        result_type: delete_range_request::ResultType::None as i32,
                    })
                    .await
                    .map_err(rpc_error)?
                    .into_inner();
                if deleted.count == 0 {
                    bail!("Key '{key}' is not set");
                }
                Ok(ExitCode::SUCCESS)
            }
            KvCommand::Ls { app_id } => {
                let mut app = connect(&app_id).await?;
                let keys = app
                    .client
                    .get_range(GetRangeRequest {
                        result_type: get_range_request::ResultType::Keys as i32,
                        ..Default::default()
                    })
                    .await
                    .map_err(rpc_error)?
                    .into_inner();
                for kv in keys.result {
                    println!("{}", kv.key);
                }
                Ok(ExitCode::SUCCESS)
            }
            KvCommand::Watch { app_id, prefix } => watch(&app_id, prefix.as_deref()).await,
        }
    })
}

fn write_value(value: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(value)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// `kv get`; with `wait`, like Python's `kv.wait`: watch PUTs of the key *first*, then get,
/// so a value put in between is not missed.
async fn get(app_id: &str, key: &str, wait: bool) -> anyhow::Result<ExitCode> {
    let mut app = connect(app_id).await?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut events = if wait {
        let create = WatchRequest {
            request: Some(watch_request::Request::Create(WatchCreateRequest {
                start: key.to_string(),
                end: key_end(key),
                event_type: watch_create_request::Type::Put as i32,
            })),
        };
        tx.send(create).context("cannot open the watch")?;
        let mut stream = app
            .client
            .watch(tokio_stream::wrappers::UnboundedReceiverStream::new(rx))
            .await
            .map_err(rpc_error)?
            .into_inner();
        // The CREATE acknowledgement: the watch is active from here on.
        stream
            .message()
            .await
            .map_err(rpc_error)?
            .context("the watch ended before it was created")?;
        Some(stream)
    } else {
        None
    };
    let found = app
        .client
        .get_range(GetRangeRequest {
            start: key.to_string(),
            end: key_end(key),
            result_type: get_range_request::ResultType::Items as i32,
        })
        .await
        .map_err(rpc_error)?
        .into_inner();
    if let Some(kv) = found.result.into_iter().next() {
        write_value(&kv.value)?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(stream) = events.as_mut() else {
        bail!("Key '{key}' is not set");
    };
    while let Some(response) = stream.message().await.map_err(rpc_error)? {
        if response.r#type == watch_response::Type::Put as i32
            && let Some(kv) = response.event.into_iter().find(|kv| kv.key == key)
        {
            write_value(&kv.value)?;
            return Ok(ExitCode::SUCCESS);
        }
    }
    drop(tx);
    bail!("Unable to connect to application")
}

/// `kv watch`: `PUT <key> <value>` and `DELETE <key>` lines, values decoded lossily.
async fn watch(app_id: &str, prefix: Option<&str>) -> anyhow::Result<ExitCode> {
    let mut app = connect(app_id).await?;
    let prefix = prefix.unwrap_or("");
    let create = WatchRequest {
        request: Some(watch_request::Request::Create(WatchCreateRequest {
            start: prefix.to_string(),
            end: prefix_end(prefix),
            event_type: watch_create_request::Type::All as i32,
        })),
    };
    // Kept open for the whole watch: closing it would end the stream.
    let requests = tokio_stream::iter([create]).chain(tokio_stream::pending());
    let mut stream = app
        .client
        .watch(requests)
        .await
        .map_err(rpc_error)?
        .into_inner();
    loop {
        let response = match stream.message().await {
            Ok(Some(response)) => response,
            // The AM ends every watch with UNAVAILABLE when the application ends.
            Ok(None) => break,
            Err(status) if status.code() == tonic::Code::Unavailable => break,
            Err(status) => return Err(rpc_error(status)),
        };
        let kind = watch_response::Type::try_from(response.r#type);
        for kv in response.event {
            let line = match kind {
                Ok(watch_response::Type::Put) => {
                    format!("PUT {} {}", kv.key, String::from_utf8_lossy(&kv.value))
                }
                Ok(watch_response::Type::Delete) => format!("DELETE {}", kv.key),
                _ => continue,
            };
            let mut out = std::io::stdout().lock();
            writeln!(out, "{line}")?;
            // Line by line, for whoever reads a pipe.
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_become_ranges() {
        assert_eq!(prefix_end("ab"), "ac");
        assert_eq!(prefix_end(""), "");
        assert_eq!(key_end("k"), "k\u{0}");
    }
}
