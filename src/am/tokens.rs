//! The application's delegation tokens while it runs: what they are and until when, and, for
//! an application with a `kerberos_principal`, new ones before the current ones expire.
//!
//! * [`Tokens`]: the current tokens for containers (the AM's token file without its AMRM
//!   token) and their [`proto::TokenStatus`]; `GetTokenStatus`, `WatchDelegationTokens` and
//!   the web UI read it.
//! * [`keep_fresh`]: with a keytab, logs in, fetches new tokens at `token_refresh_percent` of
//!   the current ones' lifetime ([`skein_hadoop::security::refresh`]), replaces the AM's own
//!   token file with them (which the Java shim reads for each container it starts, and the
//!   master script's Hadoop clients read), and publishes them to the token agents of running
//!   containers ([`crate::client::token_agent`]).
//! * [`watch_max_lifetime`]: without a keytab, says once when the tokens will reach their
//!   maximum lifetime and what to configure, and says so again when they have.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use skein_hadoop::conf::HadoopConfig;
use skein_hadoop::security::refresh::{self, TokenInfo};
use skein_hadoop::security::{Auth, Credentials, KeytabLogin};
use skein_hadoop::yarn::ResourceManager;
use tokio::sync::watch;

use crate::proto;

/// Retry a failed refresh after at most this long.
const RETRY_AT_MOST: Duration = Duration::from_secs(60);
/// Never refresh more often than this, whatever the tokens' lifetime.
const REFRESH_AT_LEAST_EVERY: Duration = Duration::from_secs(10);

/// The tokens given to containers now, and what is known about them.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The token file of a container (Writable format), without the AM's AMRM token.
    pub storage: Arc<Vec<u8>>,
    /// What they are and until when.
    pub status: proto::TokenStatus,
}

/// The application's current tokens; cheap to clone (clones share them).
#[derive(Debug, Clone)]
pub struct Tokens {
    current: Arc<watch::Sender<Snapshot>>,
}

impl Default for Tokens {
    fn default() -> Self {
        Tokens {
            current: Arc::new(watch::Sender::new(Snapshot::default())),
        }
    }
}

impl Tokens {
    /// Starts from `file` (the AM's token file, as YARN wrote it).
    pub fn start_from(&self, file: &Credentials) {
        self.publish(file, &BTreeMap::new(), |_| {});
    }

    /// What is known about the current tokens.
    pub fn status(&self) -> proto::TokenStatus {
        self.current.borrow().status.clone()
    }

    /// The current tokens, and each change from now on.
    pub fn subscribe(&self) -> watch::Receiver<Snapshot> {
        self.current.subscribe()
    }

    /// Makes `file` (the AM's credentials) the current tokens, with the expiries known by
    /// alias; `update` changes the rest of the status.
    fn publish(
        &self,
        file: &Credentials,
        expiries: &BTreeMap<String, i64>,
        update: impl FnOnce(&mut proto::TokenStatus),
    ) {
        let containers = refresh::without_amrm_token(file);
        let storage = Arc::new(refresh::token_file_bytes(&containers));
        let infos = refresh::describe(file, expiries);
        self.current.send_modify(|snapshot| {
            snapshot.storage = storage;
            snapshot.status.tokens = infos.into_iter().map(info_to_proto).collect();
            update(&mut snapshot.status);
        });
    }

    fn update_status(&self, update: impl FnOnce(&mut proto::TokenStatus)) {
        self.current
            .send_modify(|snapshot| update(&mut snapshot.status));
    }
}

fn info_to_proto(info: TokenInfo) -> proto::DelegationTokenInfo {
    proto::DelegationTokenInfo {
        alias: info.alias,
        kind: info.kind,
        service: info.service,
        renewer: info.renewer,
        issue_date: info.issue_date,
        expiry_date: info.expiry_date,
        max_date: info.max_date,
    }
}

/// Reads the AM's token file (`HADOOP_TOKEN_FILE_LOCATION`); `None` when there is none (or it
/// does not read, which is logged).
pub(crate) fn read_token_file(path: &Path) -> Option<Credentials> {
    let bytes = std::fs::read(path)
        .inspect_err(|e| tracing::warn!("cannot read the token file {}: {e}", path.display()))
        .ok()?;
    refresh::parse_token_file(&bytes, &path.display().to_string())
        .inspect_err(|e| tracing::warn!("{e}"))
        .ok()
}

/// Everything [`keep_fresh`] needs.
#[derive(Debug, Clone)]
pub(crate) struct Refresher {
    /// The cluster's configuration (the container's HADOOP_CONF_DIR).
    pub config: HadoopConfig,
    /// The application's principal.
    pub principal: String,
    /// Its keytab (localized into the AM's working folder).
    pub keytab: PathBuf,
    /// A private folder for the login's ticket cache.
    pub cache_dir: PathBuf,
    /// The spec's `file_systems`.
    pub file_systems: Vec<String>,
    /// `token_refresh_percent`.
    pub percent: u8,
    /// The AM's token file, replaced with each refresh.
    pub token_file: PathBuf,
    /// Its content as YARN wrote it (the AMRM token and the submission's tokens).
    pub file: Credentials,
}

/// Keeps the application's tokens fresh from its keytab until the AM ends (see the module
/// documentation). Never returns; failures are logged, shown in the status and retried.
pub(crate) async fn keep_fresh(tokens: Tokens, setup: Refresher) {
    tokens.update_status(|s| s.principal = setup.principal.clone());
    let login = loop {
        let (principal, keytab, cache_dir) = (
            setup.principal.clone(),
            setup.keytab.clone(),
            setup.cache_dir.clone(),
        );
        let login = tokio::task::spawn_blocking(move || {
            KeytabLogin::login(&principal, &keytab, &cache_dir).map_err(|e| e.to_string())
        })
        .await
        .unwrap_or_else(|e| Err(format!("the login task failed: {e}")));
        match login {
            Ok(login) => break login,
            Err(e) => {
                let message = format!(
                    "cannot log in as {} from the application's keytab, so its delegation \
                     tokens cannot be renewed: {e}",
                    setup.principal
                );
                tracing::error!("{message}; retrying in {RETRY_AT_MOST:?}");
                tokens.update_status(|s| {
                    s.last_error = message;
                    s.next_refresh = now_ms() + millis(RETRY_AT_MOST);
                });
                tokio::time::sleep(RETRY_AT_MOST).await;
            }
        }
    };
    let user = skein_hadoop::security::principal::short_name(login.principal()).to_string();
    let rm = match ResourceManager::from_config(&setup.config, &user) {
        Ok(rm) => rm.with_auth(Auth::kerberos(login.credentials())),
        Err(e) => {
            let message = format!("cannot renew the application's tokens: {e}");
            tracing::error!("{message}");
            tokens.update_status(|s| s.last_error = message);
            return;
        }
    };
    let mut file = setup.file.clone();
    let mut expiries: BTreeMap<String, i64> = BTreeMap::new();
    loop {
        let fetched =
            refresh::fetch_fresh_tokens(&setup.config, &rm, login.principal(), &setup.file_systems)
                .await;
        let now = now_ms();
        let wait = match fetched {
            Ok(fresh) => {
                for (alias, token) in fresh.credentials.tokens() {
                    file.add_token(alias, token.clone());
                }
                expiries.extend(fresh.expiries.clone());
                let bytes = refresh::token_file_bytes(&file);
                if let Err(e) = refresh::replace_token_file(&setup.token_file, &bytes) {
                    tracing::warn!(
                        "cannot replace the token file {}: {e}",
                        setup.token_file.display()
                    );
                }
                let until = fresh.earliest_expiry().unwrap_or(now);
                let wait = refresh_after(now, until, setup.percent);
                let next = now + millis(wait);
                tracing::info!(
                    "New delegation tokens for {} ({} tokens), valid until {}; the next \
                     refresh is at {}",
                    login.principal(),
                    fresh.credentials.tokens().count(),
                    utc(until),
                    utc(next)
                );
                tokens.publish(&file, &expiries, |s| {
                    s.last_refresh = now;
                    s.next_refresh = next;
                    s.last_error.clear();
                    s.refreshes += 1;
                });
                wait
            }
            Err(e) => {
                // The tokens in use stay valid until their earliest expiry: retry well before.
                let valid_until = earliest(&tokens.status(), now);
                let wait =
                    Duration::from_millis(u64::try_from((valid_until - now) / 4).unwrap_or(0))
                        .clamp(REFRESH_AT_LEAST_EVERY, RETRY_AT_MOST);
                let message = format!("fetching new delegation tokens failed: {e}");
                tracing::warn!("{message}; retrying in {wait:?}");
                tokens.update_status(|s| {
                    s.last_error = message;
                    s.next_refresh = now + millis(wait);
                });
                wait
            }
        };
        tokio::time::sleep(wait).await;
    }
}

/// How long to wait before fetching new tokens that are valid from `now` until `until`:
/// `percent` of that time, at least [`REFRESH_AT_LEAST_EVERY`].
fn refresh_after(now: i64, until: i64, percent: u8) -> Duration {
    let left = u64::try_from(until.saturating_sub(now)).unwrap_or(0);
    Duration::from_millis(left / 100 * u64::from(percent)).max(REFRESH_AT_LEAST_EVERY)
}

/// The earliest known end of the current tokens: their expiry, else their maximum date.
fn earliest(status: &proto::TokenStatus, fallback: i64) -> i64 {
    status
        .tokens
        .iter()
        .map(|t| {
            if t.expiry_date > 0 {
                t.expiry_date
            } else {
                t.max_date
            }
        })
        .filter(|&d| d > 0)
        .min()
        .unwrap_or(fallback)
}

/// Without a keytab: logs once when the tokens reach their maximum lifetime (and how to avoid
/// it), and an error when they have.
pub(crate) async fn watch_max_lifetime(tokens: Tokens) {
    let status = tokens.status();
    let Some(first) = status
        .tokens
        .iter()
        .filter(|t| t.max_date > 0)
        .min_by_key(|t| t.max_date)
    else {
        return;
    };
    let (max_date, kind, service) = (first.max_date, first.kind.clone(), first.service.clone());
    let left = max_date - now_ms();
    tracing::info!(
        "The delegation tokens of this application reach their maximum lifetime at {} (in \
         {}; first the {kind} token for {service}): no renewal extends them after that, and \
         HDFS and ResourceManager access from its containers then fails. For an application \
         that runs longer, give it a Kerberos identity: kerberos_principal: {{principal_name, \
         keytab}} in its spec (docs/kerberos.md)",
        utc(max_date),
        crate::cli::output::humanize_ms(left.max(0)),
    );
    tokio::time::sleep(Duration::from_millis(u64::try_from(left).unwrap_or(0))).await;
    tracing::error!(
        "The delegation tokens of this application reached their maximum lifetime at {} ({kind} \
         for {service}): HDFS and ResourceManager access from its containers now fails. \
         Resubmit it, with a kerberos_principal in its spec to keep it running past this \
         point (docs/kerberos.md)",
        utc(max_date)
    );
}

/// `YYYY-MM-DD HH:MM:SS UTC` of a time in ms since the epoch.
pub(crate) fn utc(ms: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000)) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => format!("{ms} ms since the epoch"),
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refreshes_come_at_the_given_share_of_the_lifetime_left() {
        let now = 1_000_000;
        assert_eq!(
            refresh_after(now, now + 60_000, 75),
            Duration::from_secs(45)
        );
        assert_eq!(
            refresh_after(now, now + 86_400_000, 50),
            Duration::from_secs(43_200)
        );
        // Expired or nearly: not in a loop.
        assert_eq!(refresh_after(now, now - 5, 75), REFRESH_AT_LEAST_EVERY);
    }

    #[test]
    fn the_earliest_end_is_an_expiry_or_else_a_maximum_date() {
        let token = |expiry_date, max_date| proto::DelegationTokenInfo {
            expiry_date,
            max_date,
            ..Default::default()
        };
        let status = proto::TokenStatus {
            tokens: vec![token(0, 900), token(500, 1000), token(0, 0)],
            ..Default::default()
        };
        assert_eq!(earliest(&status, 7), 500);
        assert_eq!(earliest(&proto::TokenStatus::default(), 7), 7);
    }

    #[test]
    fn times_read_as_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_796_220_000_123), "2026-12-02 14:00:00 UTC");
    }
}
