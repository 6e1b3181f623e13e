//! The token agent (`skein token-agent`): started beside the script of each container of an
//! application with a `kerberos_principal`, it keeps the container's token file
//! (`HADOOP_TOKEN_FILE_LOCATION`) up to date with the tokens the ApplicationMaster renews.
//!
//! It follows the AM's `WatchDelegationTokens` stream over mutual TLS (the container's
//! `.skein.crt`/`.skein.pem`) and replaces the file atomically whenever its content changes,
//! so that every Hadoop client started afterwards reads valid tokens. It reconnects with
//! backoff when the stream ends (the AM restarting or ending), and exits when the shell that
//! started it (the container's command) has exited.

use std::path::{Path, PathBuf};
use std::time::Duration;

use skein_hadoop::security::refresh;

use crate::proto;
use crate::security::Credentials;

/// Reconnection backoff bounds.
const BACKOFF_FIRST: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// How often the agent checks that the container's command still runs.
const PARENT_CHECK: Duration = Duration::from_secs(1);

/// Runs the agent until the process that started it exits.
pub async fn run(address: String, credentials: Credentials, token_file: PathBuf) {
    // SAFETY: getppid has no preconditions and cannot fail.
    let parent = unsafe { libc::getppid() };
    let parent_gone = async move {
        loop {
            tokio::time::sleep(PARENT_CHECK).await;
            // SAFETY: as above.
            if unsafe { libc::getppid() } != parent {
                return;
            }
        }
    };
    tokio::select! {
        () = parent_gone => {
            tracing::info!("the container's command has exited: the token agent stops");
        }
        () = follow(&address, &credentials, &token_file) => {}
    }
}

/// Follows the AM's tokens for ever, reconnecting with backoff.
async fn follow(address: &str, credentials: &Credentials, token_file: &Path) {
    let mut backoff = BACKOFF_FIRST;
    loop {
        match follow_once(address, credentials, token_file).await {
            Ok(()) => {
                tracing::info!("the ApplicationMaster ended the token stream; reconnecting");
                backoff = BACKOFF_FIRST;
            }
            Err(e) => {
                tracing::warn!("token stream from {address}: {e}; retrying in {backoff:?}");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

async fn follow_once(
    address: &str,
    credentials: &Credentials,
    token_file: &Path,
) -> anyhow::Result<()> {
    let mut client = super::connect_app_master(address, credentials).await?;
    let mut stream = client
        .watch_delegation_tokens(proto::TokenStatusRequest {})
        .await?
        .into_inner();
    while let Some(update) = stream.message().await? {
        install(token_file, &update)?;
    }
    Ok(())
}

/// Replaces `token_file` with the update's tokens unless it holds them already.
fn install(token_file: &Path, update: &proto::DelegationTokens) -> anyhow::Result<()> {
    use anyhow::Context;
    if update.token_storage.is_empty() {
        return Ok(());
    }
    // Refuse anything that is not a token file rather than break the container's.
    refresh::parse_token_file(&update.token_storage, "the ApplicationMaster's tokens")?;
    if std::fs::read(token_file).is_ok_and(|current| current == update.token_storage) {
        return Ok(());
    }
    refresh::replace_token_file(token_file, &update.token_storage)
        .with_context(|| format!("cannot replace {}", token_file.display()))?;
    let status = update.status.clone().unwrap_or_default();
    let until = status
        .tokens
        .iter()
        .map(|t| t.expiry_date)
        .filter(|&d| d > 0)
        .min();
    tracing::info!(
        "replaced {} with {} tokens{}",
        token_file.display(),
        status.tokens.len(),
        until.map_or(String::new(), |d| format!(
            ", valid until {}",
            crate::am::tokens::utc(d)
        ))
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use skein_hadoop::security::{Credentials as Tokens, Token};

    #[test]
    fn the_file_is_replaced_only_by_a_different_token_file() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("container_tokens");
        let mut tokens = Tokens::new();
        tokens.add_token(
            "a",
            Token::new(vec![1], vec![2], "HDFS_DELEGATION_TOKEN", "a"),
        );
        let bytes = refresh::token_file_bytes(&tokens);
        let update = proto::DelegationTokens {
            token_storage: bytes.clone(),
            status: None,
        };
        install(&path, &update).expect("installed");
        assert_eq!(std::fs::read(&path).expect("read"), bytes);

        let garbage = proto::DelegationTokens {
            token_storage: b"not tokens".to_vec(),
            status: None,
        };
        assert!(install(&path, &garbage).is_err());
        assert_eq!(
            std::fs::read(&path).expect("read"),
            bytes,
            "a bad update leaves the file alone"
        );
    }
}
