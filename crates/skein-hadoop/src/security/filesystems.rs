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
//!
//! Other filesystems, as Java's `addDelegationTokens` treats them: `file:` needs no token
//! (Java adds none); a path without a scheme or host is the default filesystem, whose token is
//! always fetched. A filesystem Hadoop knows but skein-rs cannot get a token for (`viewfs`,
//! object stores, ...) is [`FileSystemTokens::Unsupported`]: the submission goes on without
//! it, with a warning naming it (Java would get a token where that filesystem issues one). A
//! scheme no Hadoop filesystem implements (and no `fs.<scheme>.impl` names) fails the
//! submission, as Java's `No FileSystem for scheme` does.

use super::delegation::{hdfs_services, token_service};
use crate::conf::HadoopConfig;

/// Default RPC port of a NameNode (`hdfs://` without a port).
const NAMENODE_RPC_PORT: u16 = 8020;
/// Default http port of a NameNode web server (`dfs.namenode.http-address`).
const NAMENODE_HTTP_PORT: u16 = 9870;
/// Default https port of a NameNode web server (`dfs.namenode.https-address`).
const NAMENODE_HTTPS_PORT: u16 = 9871;

/// Schemes of the filesystems Hadoop ships (`core-default.xml`'s `fs.<scheme>.impl` and the
/// `FileSystem` service files) for which skein-rs fetches no token.
const KNOWN_WITHOUT_TOKENS: &[&str] = &[
    "viewfs", "har", "s3a", "s3n", "s3", "abfs", "abfss", "wasb", "wasbs", "adl", "gs", "o3fs",
    "ofs", "oss", "cosn", "obs", "ftp", "sftp", "http", "https", "swift", "jfs", "alluxio",
];

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
            tokens(&c, "viewfs://cluster/"),
            FileSystemTokens::Unsupported {
                scheme: "viewfs".into()
            }
        );
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
}
