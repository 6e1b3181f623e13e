//! Which delegation token each filesystem of a spec's `file_systems` needs, where the NameNode
//! that issues it listens, and under which service name readers look for it (pure: no network
//! beyond resolving a host name into Java's `<ip>:<port>` token service).
//!
//! Java Skein passes each listed filesystem to `FileSystem.addDelegationTokens(renewer,
//! credentials)` (MapReduce's `TokenCache`). skein-rs does the same for the filesystems whose
//! tokens a NameNode issues over WebHDFS:
//!
//! * `hdfs://<nameservice>` (HA, `dfs.ha.namenodes.<nameservice>` set): asked of each NameNode's
//!   `dfs.namenode.http-address.<nameservice>.<namenode>`; service `ha-hdfs:<nameservice>`.
//! * `hdfs://<host>[:<port>]` (port 8020 when absent): asked of the web address that goes with
//!   the `dfs.namenode.rpc-address[.<suffix>]` equal to `<host>:<port>`, or, when the
//!   configuration names no such NameNode, of `http://<host>:9870` (Hadoop's default web port;
//!   `https://<host>:9871` with `dfs.http.policy=HTTPS_ONLY`). Services as for the default
//!   filesystem ([`super::delegation::hdfs_token_services`]): `<ip>:<port>` and the literal
//!   `<host>:<port>`. The token is relabelled `HDFS_DELEGATION_TOKEN`.
//! * `webhdfs://<host>[:<port>]` (port 9870) and `swebhdfs://` (over https, port 9871): asked
//!   of that address itself; the token keeps the NameNode's kind (`WEBHDFS delegation`,
//!   `SWEBHDFS delegation`) and gets the service Java's `WebHdfsFileSystem` selects it by, the
//!   `<ip>:<port>` of the web address (`ha-webhdfs:<nameservice>` for a name service).
//! * `viewfs://<mount table>/` ([`FileSystemTokens::View`]): as Java's
//!   `ViewFileSystem.addDelegationTokens`, the tokens of every mount target's filesystem. The
//!   mount table is read from the configuration as Java's `InodeTree` does:
//!   `fs.viewfs.mounttable.<mount table>.link.<path>`, `.linkFallback` and `.linkMergeSlash`
//!   (one target URI each), `.linkMerge.<path>` and `.linkNfly.<settings>.<path>` (a comma
//!   separated list of target URIs). `viewfs:///` (no authority) is the mount table
//!   `fs.viewfs.mounttable.default.name.key` names (default `default`). `linkRegex` entries
//!   are not read (their targets are templates filled in per path): they are listed in
//!   [`FileSystemTokens::View::ignored`] and the submission warns about them. Each distinct
//!   target filesystem (scheme and authority; a target without them is on the default
//!   filesystem) is classified as a `file_systems` entry of its own; a nested `viewfs://`
//!   target adds its own mount table's targets. Targets on the default filesystem, and
//!   targets whose token service another target has already, are listed once. A mount table
//!   with no link is [`FileSystemError::EmptyMountTable`] (Java: `Empty Mount table in
//!   config`).
//!
//! Other filesystems, as Java's `addDelegationTokens` treats them: `file:` needs no token
//! (Java adds none); a path without a scheme or host is the default filesystem, whose token is
//! always fetched. A filesystem Hadoop knows but skein-rs cannot get a token for (object
//! stores, ...) is [`FileSystemTokens::Unsupported`]: the submission goes on without it, with a
//! warning naming it (and the `viewfs://` entry it is a mount target of; Java would get a
//! token where that filesystem issues one). A scheme no Hadoop filesystem implements (and no
//! `fs.<scheme>.impl` names) fails the submission, as Java's `No FileSystem for scheme` does,
//! also as a mount target.

use super::delegation::{hdfs_services, token_service};
use crate::conf::{HadoopConfig, split_list};

/// Default RPC port of a NameNode (`hdfs://` without a port).
const NAMENODE_RPC_PORT: u16 = 8020;
/// Default http port of a NameNode web server (`dfs.namenode.http-address`).
const NAMENODE_HTTP_PORT: u16 = 9870;
/// Default https port of a NameNode web server (`dfs.namenode.https-address`).
const NAMENODE_HTTPS_PORT: u16 = 9871;

/// Schemes of the filesystems Hadoop ships (`core-default.xml`'s `fs.<scheme>.impl` and the
/// `FileSystem` service files) for which skein-rs fetches no token.
const KNOWN_WITHOUT_TOKENS: &[&str] = &[
    "har", "s3a", "s3n", "s3", "abfs", "abfss", "wasb", "wasbs", "adl", "gs", "o3fs", "ofs", "oss",
    "cosn", "obs", "ftp", "sftp", "http", "https", "swift", "jfs", "alluxio",
];

/// Prefix of the configuration keys of the `viewfs://` mount tables.
const MOUNT_TABLE_PREFIX: &str = "fs.viewfs.mounttable.";
/// The key naming the mount table of `viewfs:///` (Java's
/// `Constants.CONFIG_VIEWFS_DEFAULT_MOUNT_TABLE_NAME_KEY`).
const DEFAULT_MOUNT_TABLE_KEY: &str = "fs.viewfs.mounttable.default.name.key";
/// The mount table of `viewfs:///` when [`DEFAULT_MOUNT_TABLE_KEY`] is not set.
const DEFAULT_MOUNT_TABLE: &str = "default";

/// How to get the delegation token of one filesystem of `file_systems`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSystemTokens {
    /// HDFS over RPC: fetched over WebHDFS from `web_urls` (each NameNode in turn) and
    /// relabelled `HDFS_DELEGATION_TOKEN`, one copy per service in `services`.
    Hdfs {
        /// NameNode web base URLs, `http(s)://host:port`.
        web_urls: Vec<String>,
        /// Token services, Java's first.
        services: Vec<String>,
    },
    /// WebHDFS: fetched from `web_urls`, the NameNode's kind kept, service `service`.
    WebHdfs {
        /// NameNode web base URLs, `http(s)://host:port`.
        web_urls: Vec<String>,
        /// The token service Java's `WebHdfsFileSystem` selects the token by.
        service: String,
    },
    /// The default filesystem, whose token every submission gets anyway.
    DefaultFileSystem,
    /// A filesystem that takes no token (`file:`).
    NotNeeded,
    /// A Hadoop filesystem skein-rs cannot get a token for.
    Unsupported {
        /// The scheme.
        scheme: String,
    },
    /// A `viewfs://` filesystem: the tokens of its mount targets' filesystems.
    View {
        /// The mount table's name.
        mount_table: String,
        /// One per distinct target filesystem, in the order of their configuration keys.
        targets: Vec<MountTarget>,
        /// The configuration keys of the mount table's entries not read (`linkRegex`).
        ignored: Vec<String>,
    },
}

/// One filesystem a `viewfs://` mount table links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountTarget {
    /// The configuration key of the (first) link to it, e.g.
    /// `fs.viewfs.mounttable.cluster.link./data`.
    pub link: String,
    /// The target URI, as configured.
    pub target: String,
    /// How to get its token (never [`FileSystemTokens::View`]: nested views are flattened).
    pub tokens: FileSystemTokens,
}

impl FileSystemTokens {
    /// The service the token is selected by in Java (the first one), for fetching once.
    pub fn canonical_service(&self) -> Option<&str> {
        match self {
            FileSystemTokens::Hdfs { services, .. } => services.first().map(String::as_str),
            FileSystemTokens::WebHdfs { service, .. } => Some(service),
            _ => None,
        }
    }
}

/// A `file_systems` entry no Hadoop client could use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileSystemError {
    /// No Hadoop filesystem implements the scheme.
    #[error(
        "No FileSystem for scheme \"{scheme}\" ({filesystem} in file_systems): list hdfs://, webhdfs:// or swebhdfs:// filesystems, or name its class in fs.{scheme}.impl"
    )]
    NoFileSystem {
        /// The entry.
        filesystem: String,
        /// Its scheme.
        scheme: String,
    },
    /// A `viewfs://` entry whose mount table has no link.
    #[error(
        "Empty Mount table in config for viewfs://{mount_table}/ ({filesystem} in file_systems): set fs.viewfs.mounttable.{mount_table}.link.<path> (or fs.viewfs.mounttable.{mount_table}.linkFallback, .linkMergeSlash, .linkMerge.<path>, .linkNfly.<settings>.<path>) to the target filesystem URI in core-site.xml{default_note}"
    )]
    EmptyMountTable {
        /// The entry.
        filesystem: String,
        /// The mount table's name.
        mount_table: String,
        /// How `viewfs:///` came to name this mount table, when it has no authority.
        default_note: String,
    },
    /// An `hdfs://` or `webhdfs://` entry without a usable host or port.
    #[error("{filesystem} in file_systems is not a filesystem URI: {reason}")]
    Invalid {
        /// The entry.
        filesystem: String,
        /// What is wrong.
        reason: String,
    },
}

/// How to get the delegation token of `filesystem` (an entry of a spec's `file_systems`) on
/// the cluster `config` describes; see the module documentation.
///
/// # Errors
/// [`FileSystemError`] for an entry Java's `Path.getFileSystem` would refuse.
pub fn filesystem_tokens(
    config: &HadoopConfig,
    filesystem: &str,
) -> Result<FileSystemTokens, FileSystemError> {
    let invalid = |reason: &str| FileSystemError::Invalid {
        filesystem: filesystem.to_string(),
        reason: reason.to_string(),
    };
    let Some((scheme, _)) = filesystem
        .split_once("://")
        .or_else(|| filesystem.split_once(':'))
        .filter(|(s, _)| is_scheme(s))
    else {
        // A path without a scheme is on the default filesystem.
        return Ok(FileSystemTokens::DefaultFileSystem);
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme == "viewfs" {
        let mut visited = Vec::new();
        return view_filesystem(config, filesystem, filesystem, &mut visited);
    }
    let url = reqwest::Url::parse(filesystem).map_err(|e| invalid(&e.to_string()))?;
    let host = url.host_str().filter(|h| !h.is_empty());
    match scheme.as_str() {
        "file" => Ok(FileSystemTokens::NotNeeded),
        "hdfs" | "webhdfs" | "swebhdfs" if host.is_none() => {
            // `hdfs:///path` takes the default filesystem's authority (Java's FileSystem.get).
            if scheme_of(&config.default_fs()) == scheme {
                Ok(FileSystemTokens::DefaultFileSystem)
            } else {
                Err(invalid("no host"))
            }
        }
        "hdfs" => {
            let host = host.unwrap_or_default();
            Ok(hdfs_filesystem(config, host, url.port()))
        }
        "webhdfs" | "swebhdfs" => {
            let host = host.unwrap_or_default();
            Ok(webhdfs_filesystem(
                config,
                host,
                url.port(),
                scheme == "swebhdfs",
            ))
        }
        _ if KNOWN_WITHOUT_TOKENS.contains(&scheme.as_str())
            || config.get(&format!("fs.{scheme}.impl")).is_some() =>
        {
            Ok(FileSystemTokens::Unsupported { scheme })
        }
        _ => Err(FileSystemError::NoFileSystem {
            filesystem: filesystem.to_string(),
            scheme,
        }),
    }
}

/// The tokens of the `viewfs://` filesystem `filesystem`, the entry `entry` of `file_systems`
/// or one of its (nested) mount targets. `visited` holds the mount tables already read, so
/// that a view linking back to one is not read again.
fn view_filesystem(
    config: &HadoopConfig,
    entry: &str,
    filesystem: &str,
    visited: &mut Vec<String>,
) -> Result<FileSystemTokens, FileSystemError> {
    let (mount_table, default_note) = mount_table_name(config, filesystem);
    visited.push(mount_table.clone());
    let (links, mut ignored) = mount_table_links(config, &mount_table);
    if links.is_empty() && ignored.is_empty() {
        return Err(FileSystemError::EmptyMountTable {
            filesystem: entry.to_string(),
            mount_table,
            default_note,
        });
    }
    let default_fs = filesystem_key(&config.default_fs());
    let mut seen = Vec::new();
    let mut targets = Vec::new();
    for (link, target) in links {
        // A target without a scheme (or on the default filesystem's authority) is on the
        // default filesystem, whose token every submission gets.
        let key = filesystem_key(&target).filter(|k| Some(k) != default_fs.as_ref());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key.clone());
        let tokens = match &key {
            None => FileSystemTokens::DefaultFileSystem,
            Some((scheme, _)) if scheme == "viewfs" => {
                if visited.contains(&mount_table_name(config, &target).0) {
                    continue;
                }
                let FileSystemTokens::View {
                    targets: nested,
                    ignored: nested_ignored,
                    ..
                } = view_filesystem(config, entry, &target, visited)?
                else {
                    continue;
                };
                ignored.extend(nested_ignored);
                for nested in nested {
                    push_target(&mut targets, nested);
                }
                continue;
            }
            Some(_) => {
                filesystem_tokens(config, &target).map_err(|e| in_mount_table(e, entry, &link))?
            }
        };
        push_target(
            &mut targets,
            MountTarget {
                link,
                target,
                tokens,
            },
        );
    }
    Ok(FileSystemTokens::View {
        mount_table,
        targets,
        ignored,
    })
}

/// The mount table a `viewfs://` URI names, and, when it names none (`viewfs:///`), a note
/// on where the default one comes from.
fn mount_table_name(config: &HadoopConfig, viewfs: &str) -> (String, String) {
    // As written: mount table names are case-sensitive configuration keys.
    let authority = viewfs
        .split_once(':')
        .and_then(|(_, rest)| rest.strip_prefix("//"))
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .filter(|a| !a.is_empty());
    match authority {
        Some(name) => (name.to_string(), String::new()),
        None => (
            config.get_or(DEFAULT_MOUNT_TABLE_KEY, DEFAULT_MOUNT_TABLE),
            format!(
                " (viewfs:/// is the mount table {DEFAULT_MOUNT_TABLE_KEY} names, default \"{DEFAULT_MOUNT_TABLE}\")"
            ),
        ),
    }
}

/// `(scheme, authority)` of `uri`, both lowercased (the authority empty when it has none);
/// `None` for a path without a scheme.
fn filesystem_key(uri: &str) -> Option<(String, String)> {
    let (scheme, rest) = uri.split_once(':').filter(|(s, _)| is_scheme(s))?;
    let authority = rest
        .strip_prefix("//")
        .and_then(|r| r.split(['/', '?', '#']).next())
        .unwrap_or_default();
    Some((scheme.to_ascii_lowercase(), authority.to_ascii_lowercase()))
}

/// The links of mount table `name` (`(configuration key, target URI)`, by key) and the keys
/// of its entries that are links skein-rs does not read.
fn mount_table_links(config: &HadoopConfig, name: &str) -> (Vec<(String, String)>, Vec<String>) {
    let prefix = format!("{MOUNT_TABLE_PREFIX}{name}.");
    let mut entries: Vec<(String, String)> = config
        .iter_expanded()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    entries.sort();
    let mut links = Vec::new();
    let mut ignored = Vec::new();
    for (key, value) in entries {
        let kind = &key[prefix.len()..];
        if kind.starts_with("link.") || kind == "linkFallback" || kind == "linkMergeSlash" {
            links.push((key, value.trim().to_string()));
        } else if kind.starts_with("linkMerge.") || kind.starts_with("linkNfly.") {
            for target in split_list(&value) {
                links.push((key.clone(), target));
            }
        } else if kind.starts_with("linkRegex.") {
            ignored.push(key);
        }
        // Anything else (`homedir`, ...) is not a link.
    }
    (links, ignored)
}

/// Adds `target` unless a target already listed is covered by the same token.
fn push_target(targets: &mut Vec<MountTarget>, target: MountTarget) {
    let covered = targets.iter().any(|t| match (&t.tokens, &target.tokens) {
        (FileSystemTokens::DefaultFileSystem, FileSystemTokens::DefaultFileSystem)
        | (FileSystemTokens::NotNeeded, FileSystemTokens::NotNeeded) => true,
        (a, b) => a.canonical_service().is_some() && a.canonical_service() == b.canonical_service(),
    });
    if !covered {
        targets.push(target);
    }
}

/// `error` about the mount target `link` of the `file_systems` entry `entry`, naming both.
fn in_mount_table(error: FileSystemError, entry: &str, link: &str) -> FileSystemError {
    let context = |target: String| format!("{target}, the mount target {link} of {entry}");
    match error {
        FileSystemError::NoFileSystem { filesystem, scheme } => FileSystemError::NoFileSystem {
            filesystem: context(filesystem),
            scheme,
        },
        FileSystemError::Invalid { filesystem, reason } => FileSystemError::Invalid {
            filesystem: context(filesystem),
            reason,
        },
        other => other,
    }
}

fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && s.len() > 1 // `C:` is a Windows drive, not a scheme.
}

fn scheme_of(uri: &str) -> String {
    uri.split_once(':')
        .map(|(s, _)| s.to_ascii_lowercase())
        .unwrap_or_default()
}

/// The name service `host` is (`dfs.ha.namenodes.<host>` set, no port).
fn nameservice(config: &HadoopConfig, host: &str, port: Option<u16>) -> Option<Vec<String>> {
    let namenodes = config.get_list(&format!("dfs.ha.namenodes.{host}"));
    (port.is_none() && !namenodes.is_empty()).then_some(namenodes)
}

/// `(key, default port, scheme)` of the NameNode web address for the cluster's http policy.
fn web_address_key(config: &HadoopConfig) -> (&'static str, u16, &'static str) {
    if config.get_or("dfs.http.policy", "HTTP_ONLY") == "HTTPS_ONLY" {
        ("dfs.namenode.https-address", NAMENODE_HTTPS_PORT, "https")
    } else {
        ("dfs.namenode.http-address", NAMENODE_HTTP_PORT, "http")
    }
}

/// A web address from the configuration as a base URL; a wildcard host is `rpc_host`, as
/// Hadoop's `DFSUtil.substituteForWildcardAddress`.
fn web_url(scheme: &str, address: &str, rpc_host: &str) -> String {
    match address.strip_prefix("0.0.0.0:") {
        Some(port) => format!("{scheme}://{rpc_host}:{port}"),
        None => format!("{scheme}://{address}"),
    }
}

fn hdfs_filesystem(config: &HadoopConfig, host: &str, port: Option<u16>) -> FileSystemTokens {
    let (key, default_port, web_scheme) = web_address_key(config);
    if let Some(namenodes) = nameservice(config, host, port) {
        return FileSystemTokens::Hdfs {
            web_urls: namenodes
                .iter()
                .filter_map(|nn| config.get(&format!("{key}.{host}.{nn}")))
                .filter(|a| !a.is_empty())
                .map(|a| web_url(web_scheme, &a, host))
                .collect(),
            services: vec![format!("ha-hdfs:{host}")],
        };
    }
    let rpc_port = port.unwrap_or(NAMENODE_RPC_PORT);
    let web_urls = match rpc_address_suffix(config, host, rpc_port) {
        Some(suffix) => config
            .get(&format!("{key}{suffix}"))
            .filter(|a| !a.is_empty())
            .map(|a| vec![web_url(web_scheme, &a, host)])
            .unwrap_or_else(|| vec![format!("{web_scheme}://{host}:{default_port}")]),
        None => vec![format!("{web_scheme}://{host}:{default_port}")],
    };
    FileSystemTokens::Hdfs {
        web_urls,
        services: hdfs_services(host, port),
    }
}

/// The suffix (`""`, `.<ns>`, `.<ns>.<nn>`) of the `dfs.namenode.rpc-address` whose value is
/// `host:port` (host names compared case-insensitively).
fn rpc_address_suffix(config: &HadoopConfig, host: &str, port: u16) -> Option<String> {
    const KEY: &str = "dfs.namenode.rpc-address";
    let wanted = format!("{host}:{port}");
    let mut matches: Vec<String> = config
        .iter_expanded()
        .filter(|(k, v)| {
            (k.len() == KEY.len() || k.get(KEY.len()..KEY.len() + 1) == Some("."))
                && k.starts_with(KEY)
                && v.trim().eq_ignore_ascii_case(&wanted)
        })
        .map(|(k, _)| k[KEY.len()..].to_string())
        .collect();
    matches.sort();
    matches.into_iter().next()
}

fn webhdfs_filesystem(
    config: &HadoopConfig,
    host: &str,
    port: Option<u16>,
    secure: bool,
) -> FileSystemTokens {
    let (scheme, key, default_port, fs_scheme) = if secure {
        (
            "https",
            "dfs.namenode.https-address",
            NAMENODE_HTTPS_PORT,
            "swebhdfs",
        )
    } else {
        (
            "http",
            "dfs.namenode.http-address",
            NAMENODE_HTTP_PORT,
            "webhdfs",
        )
    };
    if let Some(namenodes) = nameservice(config, host, port) {
        // HAUtilClient.buildTokenServiceForLogicalUri: `ha-<scheme>:<nameservice>`.
        return FileSystemTokens::WebHdfs {
            web_urls: namenodes
                .iter()
                .filter_map(|nn| config.get(&format!("{key}.{host}.{nn}")))
                .filter(|a| !a.is_empty())
                .map(|a| web_url(scheme, &a, host))
                .collect(),
            service: format!("ha-{fs_scheme}:{host}"),
        };
    }
    let port = port.unwrap_or(default_port);
    FileSystemTokens::WebHdfs {
        web_urls: vec![format!("{scheme}://{host}:{port}")],
        service: token_service(host, port),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster() -> HadoopConfig {
        let mut c = HadoopConfig::default();
        c.set("fs.defaultFS", "hdfs://localhost:9000");
        c.set("dfs.namenode.rpc-address", "localhost:9000");
        c.set("dfs.namenode.http-address", "0.0.0.0:50070");
        // A second, federated NameNode and an HA name service.
        c.set("dfs.namenode.rpc-address.other", "127.0.0.2:8020");
        c.set("dfs.namenode.http-address.other", "127.0.0.2:9999");
        c.set("dfs.ha.namenodes.ns1", "nn1, nn2");
        c.set("dfs.namenode.rpc-address.ns1.nn1", "a.example.com:8020");
        c.set("dfs.namenode.http-address.ns1.nn1", "a.example.com:9870");
        c.set("dfs.namenode.http-address.ns1.nn2", "0.0.0.0:9870");
        c.set("dfs.namenode.https-address.ns1.nn1", "a.example.com:9871");
        c
    }

    fn tokens(c: &HadoopConfig, fs: &str) -> FileSystemTokens {
        filesystem_tokens(c, fs).unwrap_or_else(|e| panic!("{fs}: {e}"))
    }

    #[test]
    fn an_hdfs_nameservice_asks_each_namenode_and_uses_ha_hdfs() {
        assert_eq!(
            tokens(&cluster(), "hdfs://ns1/data"),
            FileSystemTokens::Hdfs {
                web_urls: vec!["http://a.example.com:9870".into(), "http://ns1:9870".into()],
                services: vec!["ha-hdfs:ns1".into()],
            }
        );
    }

    #[test]
    fn an_hdfs_host_uses_the_web_address_of_its_rpc_address_else_port_9870() {
        let c = cluster();
        // Configured (federation): the matching suffix's web address.
        assert_eq!(
            tokens(&c, "hdfs://127.0.0.2"),
            FileSystemTokens::Hdfs {
                web_urls: vec!["http://127.0.0.2:9999".into()],
                services: vec!["127.0.0.2:8020".into(), "ha-hdfs:127.0.0.2".into()],
            }
        );
        // The plain key, its wildcard web host replaced by the RPC host.
        assert_eq!(
            tokens(&c, "hdfs://LOCALHOST:9000/x"),
            FileSystemTokens::Hdfs {
                web_urls: vec!["http://LOCALHOST:50070".into()],
                services: vec!["127.0.0.1:9000".into(), "LOCALHOST:9000".into()],
            }
        );
        // Unknown to the configuration: Hadoop's default web port.
        assert_eq!(
            tokens(&c, "hdfs://127.0.0.1:8021"),
            FileSystemTokens::Hdfs {
                web_urls: vec!["http://127.0.0.1:9870".into()],
                services: vec!["127.0.0.1:8021".into()],
            }
        );
        let mut https = c.clone();
        https.set("dfs.http.policy", "HTTPS_ONLY");
        assert_eq!(
            tokens(&https, "hdfs://127.0.0.1:8021"),
            FileSystemTokens::Hdfs {
                web_urls: vec!["https://127.0.0.1:9871".into()],
                services: vec!["127.0.0.1:8021".into()],
            }
        );
        assert_eq!(
            tokens(&https, "hdfs://ns1").canonical_service(),
            Some("ha-hdfs:ns1")
        );
    }

    #[test]
    fn webhdfs_keeps_its_web_address_as_ip_and_port() {
        let c = cluster();
        assert_eq!(
            tokens(&c, "webhdfs://localhost:50070/user"),
            FileSystemTokens::WebHdfs {
                web_urls: vec!["http://localhost:50070".into()],
                service: "127.0.0.1:50070".into(),
            }
        );
        assert_eq!(
            tokens(&c, "swebhdfs://127.0.0.1"),
            FileSystemTokens::WebHdfs {
                web_urls: vec!["https://127.0.0.1:9871".into()],
                service: "127.0.0.1:9871".into(),
            }
        );
        assert_eq!(
            tokens(&c, "webhdfs://ns1"),
            FileSystemTokens::WebHdfs {
                web_urls: vec!["http://a.example.com:9870".into(), "http://ns1:9870".into()],
                service: "ha-webhdfs:ns1".into(),
            }
        );
        assert_eq!(
            tokens(&c, "swebhdfs://ns1").canonical_service(),
            Some("ha-swebhdfs:ns1")
        );
    }

    #[test]
    fn other_filesystems_are_skipped_warned_or_refused_as_java_would() {
        let mut c = cluster();
        for fs in ["/data", "hdfs:///data", "relative/path"] {
            assert_eq!(tokens(&c, fs), FileSystemTokens::DefaultFileSystem, "{fs}");
        }
        assert_eq!(tokens(&c, "file:///tmp"), FileSystemTokens::NotNeeded);
        assert_eq!(
            tokens(&c, "S3A://bucket/"),
            FileSystemTokens::Unsupported {
                scheme: "s3a".into()
            }
        );
        let err = filesystem_tokens(&c, "nope://x").expect_err("no such filesystem");
        assert_eq!(
            err.to_string(),
            "No FileSystem for scheme \"nope\" (nope://x in file_systems): list hdfs://, \
             webhdfs:// or swebhdfs:// filesystems, or name its class in fs.nope.impl"
        );
        c.set("fs.nope.impl", "com.example.NopeFileSystem");
        assert_eq!(
            tokens(&c, "nope://x"),
            FileSystemTokens::Unsupported {
                scheme: "nope".into()
            }
        );
        let err = filesystem_tokens(&c, "webhdfs:///x").expect_err("no host");
        assert!(err.to_string().contains("no host"), "{err}");
    }

    fn view_targets(c: &HadoopConfig, fs: &str) -> Vec<(String, FileSystemTokens)> {
        match tokens(c, fs) {
            FileSystemTokens::View { targets, .. } => {
                targets.into_iter().map(|t| (t.target, t.tokens)).collect()
            }
            other => panic!("{fs}: not a view: {other:?}"),
        }
    }

    #[test]
    fn a_view_gets_the_tokens_of_each_distinct_mount_target() {
        let mut c = cluster();
        let link = "fs.viewfs.mounttable.cluster.link.";
        c.set(&format!("{link}/a"), "hdfs://127.0.0.2:8020/a");
        c.set(&format!("{link}/a2"), " hdfs://127.0.0.2/other ");
        c.set(&format!("{link}/b"), "hdfs://ns1/b");
        c.set(&format!("{link}/c"), "webhdfs://localhost:50070/c");
        c.set("fs.viewfs.mounttable.cluster.homedir", "/home");
        let view = tokens(&c, "viewfs://cluster/");
        let FileSystemTokens::View {
            mount_table,
            targets,
            ignored,
        } = view
        else {
            panic!("not a view: {view:?}");
        };
        assert_eq!(mount_table, "cluster");
        assert!(ignored.is_empty(), "{ignored:?}");
        assert_eq!(
            targets,
            vec![
                MountTarget {
                    link: format!("{link}/a"),
                    target: "hdfs://127.0.0.2:8020/a".into(),
                    tokens: tokens(&c, "hdfs://127.0.0.2:8020"),
                },
                MountTarget {
                    link: format!("{link}/b"),
                    target: "hdfs://ns1/b".into(),
                    tokens: tokens(&c, "hdfs://ns1"),
                },
                MountTarget {
                    link: format!("{link}/c"),
                    target: "webhdfs://localhost:50070/c".into(),
                    tokens: FileSystemTokens::WebHdfs {
                        web_urls: vec!["http://localhost:50070".into()],
                        service: "127.0.0.1:50070".into(),
                    },
                },
            ]
        );
        // `/a2` (another authority spelling, the same NameNode and token) is covered by `/a`.
        assert_eq!(
            tokens(&c, "hdfs://127.0.0.2/other").canonical_service(),
            Some("127.0.0.2:8020")
        );
    }

    #[test]
    fn viewfs_without_authority_is_the_default_mount_table() {
        let mut c = cluster();
        c.set("fs.viewfs.mounttable.default.link./x", "hdfs://127.0.0.2/x");
        c.set("fs.viewfs.mounttable.other.link./y", "webhdfs://ns1/y");
        assert_eq!(
            view_targets(&c, "viewfs:///"),
            vec![("hdfs://127.0.0.2/x".into(), tokens(&c, "hdfs://127.0.0.2"))]
        );
        assert_eq!(
            view_targets(&c, "viewfs:/data"),
            view_targets(&c, "viewfs:///")
        );
        c.set("fs.viewfs.mounttable.default.name.key", "other");
        assert_eq!(
            view_targets(&c, "viewfs:///data"),
            vec![("webhdfs://ns1/y".into(), tokens(&c, "webhdfs://ns1"))]
        );
    }

    #[test]
    fn view_targets_on_the_default_filesystem_are_listed_once() {
        let mut c = cluster();
        let table = "fs.viewfs.mounttable.cluster";
        c.set(&format!("{table}.link./user"), "/user");
        c.set(&format!("{table}.link./tmp"), "hdfs://LOCALHOST:9000/tmp");
        c.set(&format!("{table}.link./data"), "hdfs:///data");
        c.set(&format!("{table}.linkFallback"), "hdfs://localhost:9000/");
        c.set(&format!("{table}.link./local"), "file:///tmp");
        assert_eq!(
            view_targets(&c, "viewfs://cluster"),
            vec![
                ("hdfs:///data".into(), FileSystemTokens::DefaultFileSystem),
                ("file:///tmp".into(), FileSystemTokens::NotNeeded),
            ]
        );
    }

    #[test]
    fn merge_nfly_nested_and_regex_links() {
        let mut c = cluster();
        let table = "fs.viewfs.mounttable.cluster";
        c.set(&format!("{table}.linkMergeSlash"), "hdfs://ns1/");
        c.set(
            &format!("{table}.linkMerge./m"),
            "hdfs://127.0.0.2/m, s3a://bucket/m",
        );
        c.set(
            &format!("{table}.linkNfly.minReplication=2./n"),
            "webhdfs://localhost:50070/n,hdfs://ns1/n",
        );
        c.set(&format!("{table}.link./v"), "viewfs://inner/v");
        c.set(&format!("{table}.linkRegex.^/user/(?<u>\\w+)"), "/u/${u}");
        c.set(
            "fs.viewfs.mounttable.inner.link./w",
            "swebhdfs://127.0.0.1/w",
        );
        c.set("fs.viewfs.mounttable.inner.link./loop", "viewfs://cluster/");
        let FileSystemTokens::View {
            targets, ignored, ..
        } = tokens(&c, "viewfs://cluster/")
        else {
            panic!("not a view");
        };
        let targets: Vec<(&str, &str)> = targets
            .iter()
            .map(|t| (t.link.as_str(), t.target.as_str()))
            .collect();
        assert_eq!(
            targets,
            vec![
                // The nested view `/v` adds its own targets (its link back is not read again).
                (
                    "fs.viewfs.mounttable.inner.link./w",
                    "swebhdfs://127.0.0.1/w"
                ),
                (
                    "fs.viewfs.mounttable.cluster.linkMerge./m",
                    "hdfs://127.0.0.2/m"
                ),
                (
                    "fs.viewfs.mounttable.cluster.linkMerge./m",
                    "s3a://bucket/m"
                ),
                ("fs.viewfs.mounttable.cluster.linkMergeSlash", "hdfs://ns1/"),
                (
                    "fs.viewfs.mounttable.cluster.linkNfly.minReplication=2./n",
                    "webhdfs://localhost:50070/n"
                ),
            ]
        );
        assert_eq!(
            ignored,
            vec!["fs.viewfs.mounttable.cluster.linkRegex.^/user/(?<u>\\w+)".to_string()]
        );
    }

    #[test]
    fn an_undefined_mount_table_or_an_unknown_target_scheme_is_refused() {
        let mut c = cluster();
        let err = filesystem_tokens(&c, "viewfs://nowhere/x").expect_err("no mount table");
        assert_eq!(
            err.to_string(),
            "Empty Mount table in config for viewfs://nowhere/ (viewfs://nowhere/x in \
             file_systems): set fs.viewfs.mounttable.nowhere.link.<path> (or \
             fs.viewfs.mounttable.nowhere.linkFallback, .linkMergeSlash, .linkMerge.<path>, \
             .linkNfly.<settings>.<path>) to the target filesystem URI in core-site.xml"
        );
        let err = filesystem_tokens(&c, "viewfs:///").expect_err("no default mount table");
        assert!(
            err.to_string()
                .contains("fs.viewfs.mounttable.default.link.<path>")
                && err
                    .to_string()
                    .contains("fs.viewfs.mounttable.default.name.key"),
            "{err}"
        );
        c.set("fs.viewfs.mounttable.cluster.link./x", "nope://x/data");
        let err = filesystem_tokens(&c, "viewfs://cluster/").expect_err("unknown scheme");
        assert_eq!(
            err.to_string(),
            "No FileSystem for scheme \"nope\" (nope://x/data, the mount target \
             fs.viewfs.mounttable.cluster.link./x of viewfs://cluster/ in file_systems): list \
             hdfs://, webhdfs:// or swebhdfs:// filesystems, or name its class in fs.nope.impl"
        );
        c.set("fs.nope.impl", "com.example.NopeFileSystem");
        assert_eq!(
            view_targets(&c, "viewfs://cluster/"),
            vec![(
                "nope://x/data".into(),
                FileSystemTokens::Unsupported {
                    scheme: "nope".into()
                }
            )]
        );
    }
}
