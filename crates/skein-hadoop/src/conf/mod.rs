//! Hadoop configuration: the `*-site.xml` files of a cluster, as Hadoop clients read them.
//!
//! [`HadoopConfig::load`] finds the configuration folder (`$HADOOP_CONF_DIR`, else
//! `$HADOOP_HOME/etc/hadoop`), reads `core-site.xml`, `hdfs-site.xml` and `yarn-site.xml` with
//! roxmltree, and expands `${name}` references the way Hadoop's `Configuration` does (other
//! properties, then `env.NAME`, then the few system properties Hadoop clients rely on).
//! Accessors for the YARN addresses the driver needs (ResourceManager web addresses with HA
//! ids, the application classpath) live here so every caller agrees on the defaults.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The files read, in order: later files override earlier ones (unless a property is final).
pub(crate) const SITE_FILES: [&str; 3] = ["core-site.xml", "hdfs-site.xml", "yarn-site.xml"];

/// Deepest chain of `${...}` references followed before giving up, as Hadoop does (20).
const MAX_SUBSTITUTIONS: usize = 20;

/// Why a Hadoop configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Neither HADOOP_CONF_DIR nor HADOOP_HOME is set.
    #[error(
        "no Hadoop configuration found: set HADOOP_CONF_DIR to the folder holding core-site.xml and yarn-site.xml (or HADOOP_HOME, whose etc/hadoop is used)"
    )]
    NotFound,
    /// The configuration folder does not exist.
    #[error("Hadoop configuration folder {0} does not exist: check HADOOP_CONF_DIR")]
    MissingDir(PathBuf),
    /// A site file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// A site file is not well-formed XML.
    #[error("{path}:{line}:{column}: not a Hadoop configuration file: {message}")]
    Xml {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: u32,
        /// 1-based column.
        column: u32,
        /// What the XML parser said.
        message: String,
    },
}

/// A set of Hadoop properties, with the folder they came from.
#[derive(Debug, Clone, Default)]
pub struct HadoopConfig {
    dir: Option<PathBuf>,
    properties: BTreeMap<String, Property>,
}

#[derive(Debug, Clone)]
struct Property {
    value: String,
    is_final: bool,
}

impl HadoopConfig {
    /// Loads the configuration from `$HADOOP_CONF_DIR` or `$HADOOP_HOME/etc/hadoop`.
    ///
    /// # Errors
    /// [`ConfigError::NotFound`] when neither variable is set, or any error of [`Self::from_dir`].
    pub fn load() -> Result<Self, ConfigError> {
        let dir = match (
            std::env::var_os("HADOOP_CONF_DIR"),
            std::env::var_os("HADOOP_HOME"),
        ) {
            (Some(dir), _) if !dir.is_empty() => PathBuf::from(dir),
            (_, Some(home)) if !home.is_empty() => PathBuf::from(home).join("etc/hadoop"),
            _ => return Err(ConfigError::NotFound),
        };
        Self::from_dir(&dir)
    }

    /// Loads the site files found in `dir` (missing files are skipped, as Hadoop does).
    ///
    /// # Errors
    /// When the folder does not exist, or a file present cannot be read or parsed.
    pub fn from_dir(dir: &Path) -> Result<Self, ConfigError> {
        if !dir.is_dir() {
            return Err(ConfigError::MissingDir(dir.to_path_buf()));
        }
        let mut config = HadoopConfig {
            dir: Some(dir.to_path_buf()),
            properties: BTreeMap::new(),
        };
        for name in SITE_FILES {
            let path = dir.join(name);
            if !path.exists() {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Io {
                path: path.clone(),
                source,
            })?;
            config.merge_xml(&text, &path)?;
        }
        Ok(config)
    }

    /// Adds the properties of one `*-site.xml` document; `origin` names it in errors.
    ///
    /// # Errors
    /// [`ConfigError::Xml`] when the text is not well-formed XML.
    pub(crate) fn merge_xml(&mut self, text: &str, origin: &Path) -> Result<(), ConfigError> {
        let doc = roxmltree::Document::parse(text).map_err(|e| {
            let pos = e.pos();
            ConfigError::Xml {
                path: origin.to_path_buf(),
                line: pos.row,
                column: pos.col,
                message: e.to_string(),
            }
        })?;
        for property in doc.descendants().filter(|n| n.has_tag_name("property")) {
            let child_text = |tag: &str| {
                property
                    .children()
                    .find(|c| c.has_tag_name(tag))
                    .map(|c| c.text().unwrap_or("").trim().to_string())
            };
            let Some(name) = child_text("name") else {
                continue;
            };
            let value = child_text("value").unwrap_or_default();
            let is_final = child_text("final").is_some_and(|f| f == "true");
            if self.properties.get(&name).is_some_and(|p| p.is_final) {
                continue;
            }
            self.properties.insert(name, Property { value, is_final });
        }
        Ok(())
    }

    /// Sets one property (tests, and overrides given on a command line).
    pub fn set(&mut self, name: &str, value: &str) {
        self.properties.insert(
            name.to_string(),
            Property {
                value: value.to_string(),
                is_final: false,
            },
        );
    }

    /// The folder the configuration was read from, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The raw (unexpanded) value of a property.
    pub(crate) fn get_raw(&self, name: &str) -> Option<&str> {
        self.properties.get(name).map(|p| p.value.as_str())
    }

    /// The value of a property with `${...}` references expanded.
    pub fn get(&self, name: &str) -> Option<String> {
        self.get_raw(name).map(|raw| self.expand(raw))
    }

    /// The value of a property, or `default` (also expanded) when unset or empty.
    pub fn get_or(&self, name: &str, default: &str) -> String {
        match self.get(name) {
            Some(v) if !v.is_empty() => v,
            _ => self.expand(default),
        }
    }

    /// A boolean property (`true`/`false`, case-insensitive), or `default`.
    pub(crate) fn get_bool(&self, name: &str, default: bool) -> bool {
        match self.get(name).map(|v| v.to_ascii_lowercase()) {
            Some(v) if v == "true" => true,
            Some(v) if v == "false" => false,
            _ => default,
        }
    }

    /// A comma-separated list property, trimmed, empty entries dropped.
    pub(crate) fn get_list(&self, name: &str) -> Vec<String> {
        self.get(name).map(|v| split_list(&v)).unwrap_or_default()
    }

    /// Expands `${name}` references: properties first, then `env.NAME`, then the JVM system
    /// properties Hadoop's defaults use (`user.name`). Unknown references are left as they are,
    /// like Hadoop; cycles stop after [`MAX_SUBSTITUTIONS`] rounds.
    pub(crate) fn expand(&self, value: &str) -> String {
        let mut current = value.to_string();
        for _ in 0..MAX_SUBSTITUTIONS {
            let Some((start, end, var)) = find_reference(&current) else {
                return current;
            };
            let replacement = if let Some(env) = var.strip_prefix("env.") {
                std::env::var(env).ok()
            } else if let Some(p) = self.properties.get(var) {
                Some(p.value.clone())
            } else if var == "user.name" {
                Some(current_user())
            } else {
                None
            };
            match replacement {
                Some(r) => current.replace_range(start..end, &r),
                // Hadoop leaves unresolvable references in place; so do we, and stop.
                None => return current,
            }
        }
        current
    }

    /// The ResourceManager web (REST) base URLs, `http(s)://host:port`, one per RM id under
    /// HA (in the order of `yarn.resourcemanager.ha.rm-ids`), else one.
    pub fn resourcemanager_web_urls(&self) -> Vec<String> {
        let https = self.get_or("yarn.http.policy", "HTTP_ONLY") == "HTTPS_ONLY";
        let (key, port, scheme) = if https {
            ("yarn.resourcemanager.webapp.https.address", 8090, "https")
        } else {
            ("yarn.resourcemanager.webapp.address", 8088, "http")
        };
        let ids = if self.get_bool("yarn.resourcemanager.ha.enabled", false) {
            self.get_list("yarn.resourcemanager.ha.rm-ids")
        } else {
            Vec::new()
        };
        let address_for = |suffix: &str| {
            let host_key = format!("yarn.resourcemanager.hostname{suffix}");
            self.get(&format!("{key}{suffix}"))
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| {
                    let host = self
                        .get(&host_key)
                        .filter(|h| !h.is_empty())
                        .unwrap_or_else(|| "0.0.0.0".to_string());
                    format!("{host}:{port}")
                })
        };
        let addresses = if ids.is_empty() {
            vec![address_for("")]
        } else {
            ids.iter()
                .map(|id| address_for(&format!(".{id}")))
                .collect()
        };
        addresses
            .into_iter()
            .map(|a| format!("{scheme}://{}", connectable(&a)))
            .collect()
    }

    /// `yarn.application.classpath`, split; empty when unset (callers choose a default).
    pub fn yarn_application_classpath(&self) -> Vec<String> {
        self.get_list("yarn.application.classpath")
    }

    /// The default filesystem URI (`fs.defaultFS`, historically `fs.default.name`).
    pub fn default_fs(&self) -> String {
        self.get("fs.defaultFS")
            .or_else(|| self.get("fs.default.name"))
            .unwrap_or_else(|| "file:///".to_string())
    }

    /// The name service of the default filesystem when it is one (`hdfs://<ns>` with
    /// `dfs.ha.namenodes.<ns>` set): HDFS HA.
    pub(crate) fn default_nameservice(&self) -> Option<String> {
        let fs = reqwest::Url::parse(&self.default_fs()).ok()?;
        let host = fs.host_str()?;
        (fs.port().is_none()
            && !self
                .get_list(&format!("dfs.ha.namenodes.{host}"))
                .is_empty())
        .then(|| host.to_string())
    }

    /// The NameNode web (WebHDFS) base URLs of the default filesystem, `http(s)://host:port`:
    /// one per NameNode of its name service under HA (`dfs.namenode.http-address.<ns>.<nn>`),
    /// else `dfs.namenode.http-address` (default port 9870; with `dfs.http.policy=HTTPS_ONLY`
    /// the `https-address`, 9871). A wildcard host is the NameNode's RPC host, as Hadoop's
    /// `DFSUtil.substituteForWildcardAddress`.
    pub(crate) fn namenode_web_urls(&self) -> Vec<String> {
        let https = self.get_or("dfs.http.policy", "HTTP_ONLY") == "HTTPS_ONLY";
        let (key, port, scheme) = if https {
            ("dfs.namenode.https-address", 9871, "https")
        } else {
            ("dfs.namenode.http-address", 9870, "http")
        };
        let fs = reqwest::Url::parse(&self.default_fs()).ok();
        let rpc_host = fs
            .as_ref()
            .and_then(|u| u.host_str())
            .unwrap_or("localhost")
            .to_string();
        let with_scheme = |address: String| {
            let address = match address.strip_prefix("0.0.0.0:") {
                Some(p) => format!("{rpc_host}:{p}"),
                None => address,
            };
            format!("{scheme}://{address}")
        };
        if let Some(ns) = self.default_nameservice() {
            return self
                .get_list(&format!("dfs.ha.namenodes.{ns}"))
                .iter()
                .filter_map(|nn| self.get(&format!("{key}.{ns}.{nn}")))
                .filter(|a| !a.is_empty())
                .map(with_scheme)
                .collect();
        }
        let address = self
            .get(&format!("{key}.{rpc_host}"))
            .or_else(|| self.get(key))
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| format!("0.0.0.0:{port}"));
        vec![with_scheme(address)]
    }

    /// Whether Hadoop security (Kerberos) is on.
    pub fn security_enabled(&self) -> bool {
        self.get_or("hadoop.security.authentication", "simple")
            .eq_ignore_ascii_case("kerberos")
    }

    /// All properties, expanded; for writing a configuration out or for tests.
    pub(crate) fn iter_expanded(&self) -> impl Iterator<Item = (&str, String)> + '_ {
        self.properties
            .iter()
            .map(|(k, p)| (k.as_str(), self.expand(&p.value)))
    }
}

/// Splits a Hadoop list value: commas, surrounding white space and newlines ignored.
pub(crate) fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A wildcard bind address (`0.0.0.0:p`) is not connectable: use this host's name instead,
/// as Hadoop clients do for the RM web address.
fn connectable(address: &str) -> String {
    match address.strip_prefix("0.0.0.0:") {
        Some(port) => format!("{}:{port}", local_hostname()),
        None => address.to_string(),
    }
}

pub(crate) fn local_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// The local user name, as Hadoop's simple authentication sees it (`HADOOP_USER_NAME` wins).
pub fn current_user() -> String {
    for var in ["HADOOP_USER_NAME", "USER", "LOGNAME"] {
        if let Ok(v) = std::env::var(var)
            && !v.is_empty()
        {
            return v;
        }
    }
    "root".to_string()
}

/// The first `${name}` in `s`: (start, end, name).
fn find_reference(s: &str) -> Option<(usize, usize, &str)> {
    let mut from = 0;
    while let Some(offset) = s[from..].find("${") {
        let start = from + offset;
        let rest = &s[start + 2..];
        let close = rest.find('}')?;
        let name = &rest[..close];
        if !name.is_empty() && !name.contains('$') && !name.contains('{') {
            return Some((start, start + 2 + close + 1, name));
        }
        from = start + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(xml: &str) -> HadoopConfig {
        let mut c = HadoopConfig::default();
        c.merge_xml(xml, Path::new("yarn-site.xml"))
            .expect("valid xml");
        c
    }

    #[test]
    fn reads_properties_and_expands_references() {
        let c = config(
            r#"<configuration>
                 <property><name>a.host</name><value>rm1.example.com</value></property>
                 <property><name>a.address</name><value>${a.host}:8088</value></property>
                 <property><name>text</name><value>x &amp; y</value></property>
               </configuration>"#,
        );
        assert_eq!(c.get("a.address").as_deref(), Some("rm1.example.com:8088"));
        assert_eq!(c.get("text").as_deref(), Some("x & y"));
        assert_eq!(c.get("missing"), None);
    }

    #[test]
    fn unknown_references_stay_and_cycles_stop() {
        let c = config(
            r#"<configuration>
                 <property><name>a</name><value>${b}</value></property>
                 <property><name>b</name><value>${a}</value></property>
                 <property><name>c</name><value>${nope}/x</value></property>
               </configuration>"#,
        );
        assert_eq!(c.get("c").as_deref(), Some("${nope}/x"));
        let a = c.get("a").expect("set");
        assert!(a == "${a}" || a == "${b}", "cycle must terminate, got {a}");
    }

    #[test]
    fn final_properties_are_not_overridden() {
        let mut c = config(
            r#"<configuration><property><name>q</name><value>one</value><final>true</final></property></configuration>"#,
        );
        c.merge_xml(
            r#"<configuration><property><name>q</name><value>two</value></property></configuration>"#,
            Path::new("other.xml"),
        )
        .expect("valid");
        assert_eq!(c.get("q").as_deref(), Some("one"));
    }

    #[test]
    fn bad_xml_names_file_line_and_column() {
        let mut c = HadoopConfig::default();
        let err = c
            .merge_xml(
                "<configuration>\n  <property><nme>x</name>",
                Path::new("/etc/yarn-site.xml"),
            )
            .expect_err("malformed");
        let text = err.to_string();
        assert!(text.starts_with("/etc/yarn-site.xml:2:"), "{text}");
    }

    #[test]
    fn rm_web_urls_default_single_and_ha() {
        let c = config(
            r#"<configuration><property><name>yarn.resourcemanager.hostname</name><value>rm.example.com</value></property></configuration>"#,
        );
        assert_eq!(
            c.resourcemanager_web_urls(),
            vec!["http://rm.example.com:8088"]
        );

        let ha = config(
            r#"<configuration>
              <property><name>yarn.resourcemanager.ha.enabled</name><value>true</value></property>
              <property><name>yarn.resourcemanager.ha.rm-ids</name><value>rm1, rm2</value></property>
              <property><name>yarn.resourcemanager.hostname.rm1</name><value>a.example.com</value></property>
              <property><name>yarn.resourcemanager.webapp.address.rm2</name><value>b.example.com:18088</value></property>
            </configuration>"#,
        );
        assert_eq!(
            ha.resourcemanager_web_urls(),
            vec!["http://a.example.com:8088", "http://b.example.com:18088"]
        );
    }

    #[test]
    fn https_policy_uses_the_https_address() {
        let c = config(
            r#"<configuration>
              <property><name>yarn.http.policy</name><value>HTTPS_ONLY</value></property>
              <property><name>yarn.resourcemanager.webapp.https.address</name><value>rm:8090</value></property>
            </configuration>"#,
        );
        assert_eq!(c.resourcemanager_web_urls(), vec!["https://rm:8090"]);
    }

    #[test]
    fn namenode_web_urls_single_wildcard_and_ha() {
        let c = config(
            r#"<configuration><property><name>fs.defaultFS</name><value>hdfs://nn.example.com:8020</value></property></configuration>"#,
        );
        assert_eq!(c.namenode_web_urls(), vec!["http://nn.example.com:9870"]);
        assert_eq!(c.default_nameservice(), None);
        let c = config(
            r#"<configuration>
              <property><name>fs.defaultFS</name><value>hdfs://localhost:9000</value></property>
              <property><name>dfs.namenode.http-address</name><value>localhost:50070</value></property>
            </configuration>"#,
        );
        assert_eq!(c.namenode_web_urls(), vec!["http://localhost:50070"]);
        let ha = config(
            r#"<configuration>
              <property><name>fs.defaultFS</name><value>hdfs://ns1</value></property>
              <property><name>dfs.nameservices</name><value>ns1</value></property>
              <property><name>dfs.ha.namenodes.ns1</name><value>nn1,nn2</value></property>
              <property><name>dfs.namenode.http-address.ns1.nn1</name><value>a:9870</value></property>
              <property><name>dfs.namenode.http-address.ns1.nn2</name><value>b:9870</value></property>
              <property><name>dfs.namenode.https-address.ns1.nn1</name><value>a:9871</value></property>
            </configuration>"#,
        );
        assert_eq!(ha.default_nameservice().as_deref(), Some("ns1"));
        assert_eq!(
            ha.namenode_web_urls(),
            vec!["http://a:9870", "http://b:9870"]
        );
        let mut https = ha.clone();
        https.set("dfs.http.policy", "HTTPS_ONLY");
        assert_eq!(https.namenode_web_urls(), vec!["https://a:9871"]);
    }

    #[test]
    fn lists_split_on_commas_and_newlines() {
        assert_eq!(
            split_list(" $HADOOP_CONF_DIR,\n  /opt/lib/* ,,"),
            vec!["$HADOOP_CONF_DIR", "/opt/lib/*"]
        );
    }
}
