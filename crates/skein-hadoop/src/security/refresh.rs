//! New delegation tokens for an application that is already running: what its
//! ApplicationMaster does with the application's own keytab login so that the application
//! outlives the maximum lifetime of the tokens it was submitted with.
//!
//! [`fetch_fresh_tokens`] gets the same set of tokens a submission gets
//! ([`submission_credentials`]: the default filesystem under every service name readers look
//! for, each filesystem of `file_systems`, the ResourceManager), with the logged-in principal
//! as their renewer, and learns when they expire by renewing the default filesystem's token
//! once (WebHDFS `RENEWDELEGATIONTOKEN`) and the ResourceManager's once (`POST
//! /delegation-token/expiration`): only the renewer may renew, which is why the renewer is the
//! principal itself and not the ResourceManager. Nobody renews these tokens afterwards; the
//! ApplicationMaster fetches new ones before they expire (Spark's approach), so their
//! lifetime is one renewal interval at most and the maximum lifetime never comes into play.
//!
//! [`TokenInfo`] and [`describe`] say what a set of tokens holds and until when, for status
//! displays; [`replace_token_file`] writes a token file so that no reader sees half of it.

use std::collections::BTreeMap;
use std::path::Path;

use reqwest::Method;

use super::Auth;
use super::credentials::{Credentials, CredentialsError, StorageFormat};
use super::delegation::{
    DelegationError, hdfs_token_services, namenode_call, submission_credentials,
};
use super::token::{HDFS_DELEGATION_KIND, RM_DELEGATION_KIND, Token};
use crate::conf::HadoopConfig;
use crate::yarn::ResourceManager;

/// The kind of the ApplicationMaster's own token, which must never leave its container.
pub const AMRM_TOKEN_KIND: &str = "YARN_AM_RM_TOKEN";

/// Tokens fetched for a running application, with what is known of their expiry.
#[derive(Debug, Clone)]
pub struct FreshTokens {
    /// The tokens, by alias (as a submission's).
    pub credentials: Credentials,
    /// The expiry (ms since the epoch) of each token whose expiry was learned, by alias.
    pub expiries: BTreeMap<String, i64>,
}

impl FreshTokens {
    /// The earliest known expiry, ms since the epoch.
    pub fn earliest_expiry(&self) -> Option<i64> {
        self.expiries.values().copied().min()
    }
}

/// Fetches an application's tokens anew as `rm`'s Kerberos identity (the application's keytab
/// login), renewable by `renewer` (that identity's principal), and learns their expiry.
///
/// # Errors
/// As [`submission_credentials`], plus a failed renewal of the default filesystem's or the
/// ResourceManager's token.
pub async fn fetch_fresh_tokens(
    config: &HadoopConfig,
    rm: &ResourceManager,
    renewer: &str,
    file_systems: &[String],
) -> Result<FreshTokens, DelegationError> {
    let credentials = submission_credentials(config, rm, Some(renewer), file_systems).await?;
    let mut expiries = BTreeMap::new();
    // One HDFS token of the default filesystem under several aliases: renew it once.
    let default_fs: Vec<String> = hdfs_token_services(config);
    if let Some((_, token)) = credentials.tokens().find(|(alias, t)| {
        t.kind() == HDFS_DELEGATION_KIND && default_fs.iter().any(|s| s == alias)
    }) {
        let expiry =
            renew_hdfs_token(&config.namenode_web_urls(), rm.auth(), rm.user(), token).await?;
        for alias in &default_fs {
            expiries.insert(alias.clone(), expiry);
        }
    }
    if let Some((alias, token)) = credentials
        .tokens()
        .find(|(_, t)| t.kind() == RM_DELEGATION_KIND)
    {
        expiries.insert(alias.to_string(), renew_rm_token(rm, token).await?);
    }
    Ok(FreshTokens {
        credentials,
        expiries,
    })
}

/// `PUT <namenode-web>/webhdfs/v1/?op=RENEWDELEGATIONTOKEN&token=<token>` on each NameNode
/// web server in turn until one that is not a standby answers: the token's new expiry (ms
/// since the epoch). Only the token's renewer may renew it.
///
/// # Errors
/// See [`DelegationError`].
pub async fn renew_hdfs_token(
    urls: &[String],
    auth: &Auth,
    user: &str,
    token: &Token,
) -> Result<i64, DelegationError> {
    #[derive(serde::Deserialize)]
    struct Answer {
        long: i64,
    }
    let encoded = token.encode_to_url_string();
    let query = [("op", "RENEWDELEGATIONTOKEN"), ("token", encoded.as_str())];
    let (url, body) = namenode_call(urls, auth, user, Method::PUT, &query).await?;
    let answer: Answer = serde_json::from_slice(&body).map_err(|e| DelegationError::Decode {
        url,
        message: format!(
            "{e}; body starts with {:?}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ),
    })?;
    Ok(answer.long)
}

/// `POST /ws/v1/cluster/delegation-token/expiration` with the token in the
/// `Hadoop-YARN-RM-Delegation-Token` header: the RM token's new expiry (ms since the epoch).
/// Only the token's renewer may renew it.
///
/// # Errors
/// `Yarn` with the RM's answer.
pub async fn renew_rm_token(rm: &ResourceManager, token: &Token) -> Result<i64, DelegationError> {
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "expiration-time")]
        expiration_time: i64,
    }
    let answer: Answer = rm
        .call_with_header(
            Method::POST,
            "/ws/v1/cluster/delegation-token/expiration",
            (
                "Hadoop-YARN-RM-Delegation-Token",
                token.encode_to_url_string(),
            ),
        )
        .await?;
    Ok(answer.expiration_time)
}

/// What a status display says about one token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Its alias in the token file.
    pub alias: String,
    /// Its kind.
    pub kind: String,
    /// Its service.
    pub service: String,
    /// Its renewer (short name); empty when the identifier does not decode.
    pub renewer: String,
    /// Issue time, ms since the epoch; 0 when unknown.
    pub issue_date: i64,
    /// Until when it is valid without a renewal, ms since the epoch; 0 when unknown.
    pub expiry_date: i64,
    /// After this no renewal extends it, ms since the epoch; 0 when unknown.
    pub max_date: i64,
}

/// The delegation tokens of `credentials` (all but the ApplicationMaster's own), with the
/// expiries `expiries` knows by alias.
pub fn describe(credentials: &Credentials, expiries: &BTreeMap<String, i64>) -> Vec<TokenInfo> {
    credentials
        .tokens()
        .filter(|(_, t)| t.kind() != AMRM_TOKEN_KIND)
        .map(|(alias, token)| {
            let identifier = token.delegation_identifier().ok().unwrap_or_default();
            TokenInfo {
                alias: alias.to_string(),
                kind: token.kind().to_string(),
                service: token.service().to_string(),
                renewer: identifier.renewer,
                issue_date: identifier.issue_date,
                expiry_date: expiries.get(alias).copied().unwrap_or(0),
                max_date: identifier.max_date,
            }
        })
        .collect()
}

/// `credentials` without the ApplicationMaster's own token: what its containers get.
pub fn without_amrm_token(credentials: &Credentials) -> Credentials {
    let mut out = Credentials::new();
    for (alias, token) in credentials.tokens() {
        if token.kind() != AMRM_TOKEN_KIND {
            out.add_token(alias, token.clone());
        }
    }
    for (alias, secret) in credentials.secrets() {
        out.add_secret(alias, secret.to_vec());
    }
    out
}

/// The bytes of a token file holding `credentials`, in the Writable format every Hadoop
/// version reads.
pub fn token_file_bytes(credentials: &Credentials) -> Vec<u8> {
    credentials.to_token_storage(StorageFormat::Writable)
}

/// Reads the bytes of a token file (either format); `origin` names it in errors.
///
/// # Errors
/// When they are not a token file.
pub fn parse_token_file(bytes: &[u8], origin: &str) -> Result<Credentials, CredentialsError> {
    Credentials::from_token_storage(bytes, origin)
}

/// Replaces the token file `path` with `bytes` so that a reader sees either the old file or
/// the new one, never part of one: written to a file beside it (0600) and renamed over it.
///
/// # Errors
/// When the folder is not writable.
pub fn replace_token_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tokens".into());
    let temporary = path.with_file_name(format!(".{name}.{}.new", std::process::id()));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::token::DelegationTokenIdentifier;

    fn token(kind: &str, service: &str, issue: i64, max: i64) -> Token {
        let identifier = DelegationTokenIdentifier {
            owner: "alice".into(),
            renewer: "alice".into(),
            issue_date: issue,
            max_date: max,
            ..Default::default()
        };
        Token::new(identifier.to_writable(), vec![7], kind, service)
    }

    #[test]
    fn containers_never_get_the_amrm_token_and_infos_name_each_token() {
        let mut c = Credentials::new();
        c.add_token(
            "127.0.0.1:9000",
            token(HDFS_DELEGATION_KIND, "127.0.0.1:9000", 10, 70),
        );
        c.add_token(
            "amrm",
            Token::new(vec![1, 2], vec![3], AMRM_TOKEN_KIND, "rm:8030"),
        );
        c.add_secret("s", vec![1]);
        let containers = without_amrm_token(&c);
        assert!(containers.token("amrm").is_none());
        assert!(containers.token("127.0.0.1:9000").is_some());
        assert_eq!(containers.secrets().count(), 1);

        let infos = describe(&c, &BTreeMap::from([("127.0.0.1:9000".to_string(), 40)]));
        assert_eq!(infos.len(), 1, "{infos:?}");
        assert_eq!(
            infos[0],
            TokenInfo {
                alias: "127.0.0.1:9000".into(),
                kind: HDFS_DELEGATION_KIND.into(),
                service: "127.0.0.1:9000".into(),
                renewer: "alice".into(),
                issue_date: 10,
                expiry_date: 40,
                max_date: 70,
            }
        );
    }

    #[test]
    fn a_replaced_token_file_reads_back_and_leaves_nothing_beside_it() {
        let dir = std::env::temp_dir().join(format!("skein-token-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("container_tokens");
        std::fs::write(&path, b"old").expect("old file");
        let mut c = Credentials::new();
        c.add_token("a", token(HDFS_DELEGATION_KIND, "a", 1, 2));
        replace_token_file(&path, &token_file_bytes(&c)).expect("replace");
        let read = std::fs::read(&path).expect("read");
        assert_eq!(parse_token_file(&read, "x").expect("parses"), c);
        let left: Vec<_> = std::fs::read_dir(&dir)
            .expect("list")
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("container_tokens")]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
