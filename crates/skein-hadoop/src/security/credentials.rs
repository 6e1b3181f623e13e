//! Hadoop `Credentials`: named tokens and secrets, and the token storage file
//! (`HADOOP_TOKEN_FILE_LOCATION`) that YARN writes into every container and that Hadoop
//! clients (Java, and hdfs-native) read their delegation tokens from.
//!
//! The file is the magic `HDTS`, a format byte, then either the Writable form (format 0: VInt
//! count, then alias `Text` + `Token` per token; VInt count, then alias `Text` + VInt-prefixed
//! bytes per secret) or a length-delimited `CredentialsProto` (format 1, Hadoop 3). Both are
//! read; Writable is written by default, as Hadoop's `writeTokenStorageFile` does.
//!
//! [`Credentials::to_rest`] gives the `am-container-spec.credentials` of a REST submission:
//! the RM decodes it into the AM's launch context, and the NodeManager writes it to the AM's
//! token file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;

use super::token::{Token, TokenError};
use super::writable::{self, Reader};
use crate::yarn::types::Credentials as RestCredentials;

/// The first bytes of a token storage file.
pub(crate) const TOKEN_STORAGE_MAGIC: &[u8; 4] = b"HDTS";

/// The serialization of a token storage file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageFormat {
    /// Version 0: Writable (every Hadoop release reads it).
    Writable,
    /// Version 1: protobuf (Hadoop 3).
    Protobuf,
}

/// Why a token storage file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// The file does not start with `HDTS`.
    #[error("{origin}: not a Hadoop token storage file (no HDTS magic)")]
    BadMagic {
        /// The file (or "bytes").
        origin: String,
    },
    /// An unknown format byte.
    #[error("{origin}: unknown token storage format {version} (0 = Writable, 1 = protobuf)")]
    UnknownFormat {
        /// The file (or "bytes").
        origin: String,
        /// The format byte.
        version: u8,
    },
    /// A token or secret inside is malformed.
    #[error("{origin}: {source}")]
    Token {
        /// The file (or "bytes").
        origin: String,
        /// The token error.
        source: TokenError,
    },
    /// The protobuf form is malformed.
    #[error("{origin}: malformed CredentialsProto: {message}")]
    Protobuf {
        /// The file (or "bytes").
        origin: String,
        /// prost's reason.
        message: String,
    },
    /// The file could not be read or written.
    #[error("token storage file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// A REST credentials entry is not a token URL string or not base64.
    #[error("credentials entry {alias}: {message}")]
    Rest {
        /// The entry's alias.
        alias: String,
        /// What was wrong.
        message: String,
    },
}

/// Tokens and secrets by alias, as Hadoop's `Credentials` (aliases are unique; a later add
/// replaces an earlier one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    tokens: BTreeMap<String, Token>,
    secrets: BTreeMap<String, Vec<u8>>,
}

impl Credentials {
    /// No tokens, no secrets.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a token under `alias`.
    pub fn add_token(&mut self, alias: impl Into<String>, token: Token) -> &mut Self {
        self.tokens.insert(alias.into(), token);
        self
    }

    /// Adds (or replaces) a secret under `alias`.
    pub fn add_secret(&mut self, alias: impl Into<String>, secret: Vec<u8>) -> &mut Self {
        self.secrets.insert(alias.into(), secret);
        self
    }

    /// The token under `alias`.
    pub fn token(&self, alias: &str) -> Option<&Token> {
        self.tokens.get(alias)
    }

    /// All tokens with their aliases.
    pub fn tokens(&self) -> impl Iterator<Item = (&str, &Token)> {
        self.tokens.iter().map(|(a, t)| (a.as_str(), t))
    }

    /// The first token of `kind` for `service`: how Hadoop's token selectors pick one.
    pub fn find(&self, kind: &str, service: &str) -> Option<&Token> {
        self.tokens
            .values()
            .find(|t| t.kind() == kind && t.service() == service)
    }

    /// All secrets with their aliases.
    pub fn secrets(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.secrets.iter().map(|(a, s)| (a.as_str(), s.as_slice()))
    }

    /// Whether there is neither a token nor a secret.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty() && self.secrets.is_empty()
    }

    /// The token storage file's bytes (`Credentials.writeTokenStorageToStream`).
    pub(crate) fn to_token_storage(&self, format: StorageFormat) -> Vec<u8> {
        let mut out = TOKEN_STORAGE_MAGIC.to_vec();
        match format {
            StorageFormat::Writable => {
                out.push(0);
                writable::write_vint(&mut out, count(self.tokens.len()));
                for (alias, token) in &self.tokens {
                    writable::write_text(&mut out, alias);
                    token.write_to(&mut out);
                }
                writable::write_vint(&mut out, count(self.secrets.len()));
                for (alias, secret) in &self.secrets {
                    writable::write_text(&mut out, alias);
                    writable::write_bytes(&mut out, secret);
                }
            }
            StorageFormat::Protobuf => {
                use prost::Message;
                out.push(1);
                let proto = CredentialsProto {
                    tokens: self
                        .tokens
                        .iter()
                        .map(|(alias, t)| CredentialsKvProto {
                            alias: alias.clone(),
                            token: Some(TokenProto {
                                identifier: t.identifier().to_vec(),
                                password: t.password().to_vec(),
                                kind: t.kind().to_string(),
                                service: t.service().to_string(),
                            }),
                            secret: None,
                        })
                        .collect(),
                    secrets: self
                        .secrets
                        .iter()
                        .map(|(alias, s)| CredentialsKvProto {
                            alias: alias.clone(),
                            token: None,
                            secret: Some(s.clone()),
                        })
                        .collect(),
                };
                out.extend_from_slice(&proto.encode_length_delimited_to_vec());
            }
        }
        out
    }

    /// Reads a token storage file's bytes in either format; `origin` names it in errors.
    ///
    /// # Errors
    /// When the magic, the format byte or the content is wrong.
    pub(crate) fn from_token_storage(bytes: &[u8], origin: &str) -> Result<Self, CredentialsError> {
        let Some(rest) = bytes.strip_prefix(TOKEN_STORAGE_MAGIC) else {
            return Err(CredentialsError::BadMagic {
                origin: origin.to_string(),
            });
        };
        let token_error = |source: TokenError| CredentialsError::Token {
            origin: origin.to_string(),
            source,
        };
        match rest.split_first() {
            Some((0, body)) => {
                let mut r = Reader::new(body);
                let mut credentials = Credentials::new();
                let tokens = r.vint("token count").map_err(|e| token_error(e.into()))?;
                for _ in 0..tokens.max(0) {
                    let alias = r.text("token alias").map_err(|e| token_error(e.into()))?;
                    let token = Token::read_from(&mut r).map_err(token_error)?;
                    credentials.tokens.insert(alias, token);
                }
                // Very old files end after the tokens.
                if !r.remaining().is_empty() {
                    let secrets = r.vint("secret count").map_err(|e| token_error(e.into()))?;
                    for _ in 0..secrets.max(0) {
                        let alias = r.text("secret alias").map_err(|e| token_error(e.into()))?;
                        let secret = r.bytes("secret").map_err(|e| token_error(e.into()))?;
                        credentials.secrets.insert(alias, secret.to_vec());
                    }
                }
                Ok(credentials)
            }
            Some((1, body)) => {
                use prost::Message;
                let proto = CredentialsProto::decode_length_delimited(body).map_err(|e| {
                    CredentialsError::Protobuf {
                        origin: origin.to_string(),
                        message: e.to_string(),
                    }
                })?;
                let mut credentials = Credentials::new();
                for kv in proto.tokens {
                    if let Some(t) = kv.token {
                        let token = Token::new(t.identifier, t.password, t.kind, t.service);
                        credentials.tokens.insert(kv.alias, token);
                    }
                }
                for kv in proto.secrets {
                    if let Some(s) = kv.secret {
                        credentials.secrets.insert(kv.alias, s);
                    }
                }
                Ok(credentials)
            }
            Some((&version, _)) => Err(CredentialsError::UnknownFormat {
                origin: origin.to_string(),
                version,
            }),
            None => Err(CredentialsError::BadMagic {
                origin: origin.to_string(),
            }),
        }
    }

    /// Writes a token storage file, readable by its owner only (it holds secrets).
    ///
    /// # Errors
    /// When the file cannot be created or written.
    pub fn write_token_storage_file(
        &self,
        path: &Path,
        format: StorageFormat,
    ) -> Result<(), CredentialsError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let io = |source| CredentialsError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .map_err(io)?;
        file.write_all(&self.to_token_storage(format)).map_err(io)
    }

    /// Reads a token storage file.
    ///
    /// # Errors
    /// When it cannot be read or is malformed.
    pub fn read_token_storage_file(path: &Path) -> Result<Self, CredentialsError> {
        let bytes = std::fs::read(path).map_err(|source| CredentialsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_token_storage(&bytes, &path.display().to_string())
    }

    /// The REST submission's `credentials`: tokens as URL strings, secrets in base64.
    pub fn to_rest(&self) -> RestCredentials {
        let b64 = base64::engine::general_purpose::STANDARD;
        RestCredentials {
            tokens: self
                .tokens
                .iter()
                .map(|(a, t)| (a.clone(), t.encode_to_url_string()))
                .collect(),
            secrets: self
                .secrets
                .iter()
                .map(|(a, s)| (a.clone(), b64.encode(s)))
                .collect(),
        }
    }

    /// Reads the REST form back (what [`Self::to_rest`] wrote).
    ///
    /// # Errors
    /// When an entry is not a token URL string or not base64.
    pub fn from_rest(rest: &RestCredentials) -> Result<Self, CredentialsError> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut credentials = Credentials::new();
        for entry in &rest.tokens.entry {
            let token = Token::decode_from_url_string(&entry.value).map_err(|e| {
                CredentialsError::Rest {
                    alias: entry.key.clone(),
                    message: e.to_string(),
                }
            })?;
            credentials.tokens.insert(entry.key.clone(), token);
        }
        for entry in &rest.secrets.entry {
            let secret = b64
                .decode(&entry.value)
                .map_err(|e| CredentialsError::Rest {
                    alias: entry.key.clone(),
                    message: e.to_string(),
                })?;
            credentials.secrets.insert(entry.key.clone(), secret);
        }
        Ok(credentials)
    }
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// Hadoop's `TokenProto` (Security.proto).
#[derive(Clone, PartialEq, prost::Message)]
struct TokenProto {
    #[prost(bytes = "vec", tag = "1")]
    identifier: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    password: Vec<u8>,
    #[prost(string, tag = "3")]
    kind: String,
    #[prost(string, tag = "4")]
    service: String,
}

/// Hadoop's `CredentialsKVProto`.
#[derive(Clone, PartialEq, prost::Message)]
struct CredentialsKvProto {
    #[prost(string, tag = "1")]
    alias: String,
    #[prost(message, optional, tag = "2")]
    token: Option<TokenProto>,
    #[prost(bytes = "vec", optional, tag = "3")]
    secret: Option<Vec<u8>>,
}

/// Hadoop's `CredentialsProto`.
#[derive(Clone, PartialEq, prost::Message)]
struct CredentialsProto {
    #[prost(message, repeated, tag = "1")]
    tokens: Vec<CredentialsKvProto>,
    #[prost(message, repeated, tag = "2")]
    secrets: Vec<CredentialsKvProto>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Credentials {
        let mut c = Credentials::new();
        c.add_token(
            "hdfs",
            Token::new(
                vec![0, 1, 2],
                vec![3; 20],
                "HDFS_DELEGATION_TOKEN",
                "127.0.0.1:8020",
            ),
        )
        .add_token(
            "rm",
            Token::new(
                vec![8; 200],
                vec![4; 20],
                "RM_DELEGATION_TOKEN",
                "127.0.0.1:8032",
            ),
        )
        .add_secret("key", b"value".to_vec());
        c
    }

    /// Version 0 as `Credentials.writeTokenStorageToStream(os, WRITABLE)` lays it out.
    #[test]
    fn writable_file_layout_is_hadoops() {
        let mut c = Credentials::new();
        c.add_token("a", Token::new(vec![1], vec![2], "K", "S"))
            .add_secret("s", vec![9, 9]);
        let bytes = c.to_token_storage(StorageFormat::Writable);
        assert_eq!(
            bytes,
            b"HDTS\x00\x01\x01a\x01\x01\x01\x02\x01K\x01S\x01\x01s\x02\x09\x09"
        );
        let back = Credentials::from_token_storage(&bytes, "bytes").expect("reads");
        assert_eq!(back, c);
    }

    #[test]
    fn both_formats_round_trip() {
        let c = sample();
        for format in [StorageFormat::Writable, StorageFormat::Protobuf] {
            let bytes = c.to_token_storage(format);
            assert_eq!(&bytes[..4], b"HDTS");
            let back = Credentials::from_token_storage(&bytes, "bytes").expect("reads");
            assert_eq!(back, c, "{format:?}");
        }
        assert_eq!(c.to_token_storage(StorageFormat::Protobuf)[4], 1);
    }

    /// A version-1 file as Hadoop's `writeProto` writes it: a varint length, then the message
    /// (field 1 = a CredentialsKVProto holding alias and TokenProto), encoded by hand here.
    #[test]
    fn reads_a_hand_encoded_protobuf_file() {
        let token: &[u8] = b"\x0a\x01\x07\x12\x01\x08\x1a\x01K\x22\x01S";
        let mut kv = vec![0x0a, 0x01, b'a', 0x12, token.len() as u8];
        kv.extend_from_slice(token);
        let mut message = vec![0x0a, kv.len() as u8];
        message.extend_from_slice(&kv);
        let mut file = b"HDTS\x01".to_vec();
        file.push(message.len() as u8);
        file.extend_from_slice(&message);
        let c = Credentials::from_token_storage(&file, "f").expect("reads");
        assert_eq!(c.token("a"), Some(&Token::new(vec![7], vec![8], "K", "S")));
    }

    #[test]
    fn malformed_files_say_what_is_wrong() {
        let err = Credentials::from_token_storage(b"HDTX\x00", "/tmp/t").expect_err("magic");
        assert_eq!(
            err.to_string(),
            "/tmp/t: not a Hadoop token storage file (no HDTS magic)"
        );
        let err = Credentials::from_token_storage(b"HDTS\x07", "f").expect_err("format");
        assert!(
            err.to_string().contains("unknown token storage format 7"),
            "{err}"
        );
        let mut truncated = sample().to_token_storage(StorageFormat::Writable);
        truncated.truncate(truncated.len() - 30);
        let err = Credentials::from_token_storage(&truncated, "f").expect_err("short");
        assert!(err.to_string().contains("truncated"), "{err}");
        let err = Credentials::from_token_storage(b"HDTS\x01\x05\x0a", "f").expect_err("proto");
        assert!(matches!(err, CredentialsError::Protobuf { .. }), "{err}");
    }

    #[test]
    fn files_are_private_and_read_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("container_tokens");
        sample()
            .write_token_storage_file(&path, StorageFormat::Writable)
            .expect("writes");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            Credentials::read_token_storage_file(&path).expect("reads"),
            sample()
        );
        let err = Credentials::read_token_storage_file(&dir.path().join("nope")).expect_err("io");
        assert!(err.to_string().contains("nope"), "{err}");
    }

    /// Files written by Hadoop's own `DtUtilShell get hdfs://... -format java|protobuf`
    /// against the secure test cluster (NameNode RPC tokens; owner is the full principal).
    const JAVA_WRITABLE: &[u8] = include_bytes!("../../tests/data/tokens/dtutil-java.hdts");
    const JAVA_PROTOBUF: &[u8] = include_bytes!("../../tests/data/tokens/dtutil-protobuf.hdts");

    #[test]
    fn reads_token_files_written_by_hadoop() {
        for (alias, bytes) in [
            ("hdfs-java", JAVA_WRITABLE),
            ("hdfs-protobuf", JAVA_PROTOBUF),
        ] {
            let c = Credentials::from_token_storage(bytes, alias).expect(alias);
            let aliases: Vec<&str> = c.tokens().map(|(a, _)| a).collect();
            assert_eq!(aliases, ["127.0.0.1:39989", alias]);
            let token = c
                .find("HDFS_DELEGATION_TOKEN", "127.0.0.1:39989")
                .expect("selected by kind and service");
            let id = token.delegation_identifier().expect("identifier");
            assert_eq!(
                (id.owner.as_str(), id.renewer.as_str()),
                ("skein@EXAMPLE.COM", "hadoop")
            );
            // DtUtilShell's -alias also names the service of its copy.
            assert_eq!(c.token(alias).map(Token::service), Some(alias));
            assert_eq!(c.secrets().count(), 0);
        }
    }

    #[test]
    fn writes_hadoops_bytes_back() {
        let c = Credentials::from_token_storage(JAVA_WRITABLE, "java").expect("reads");
        assert_eq!(c.to_token_storage(StorageFormat::Writable), JAVA_WRITABLE);
        let c = Credentials::from_token_storage(JAVA_PROTOBUF, "java").expect("reads");
        assert_eq!(c.to_token_storage(StorageFormat::Protobuf), JAVA_PROTOBUF);
    }

    #[test]
    fn selection_is_by_kind_and_service() {
        let c = sample();
        assert!(c.find("HDFS_DELEGATION_TOKEN", "127.0.0.1:8020").is_some());
        assert!(c.find("HDFS_DELEGATION_TOKEN", "localhost:8020").is_none());
        assert!(c.find("RM_DELEGATION_TOKEN", "127.0.0.1:8020").is_none());
    }

    #[test]
    fn rest_form_round_trips() {
        let c = sample();
        let rest = c.to_rest();
        assert_eq!(rest.tokens.entry.len(), 2);
        assert_eq!(rest.tokens.entry[0].key, "hdfs");
        assert_eq!(rest.secrets.entry[0].value, "dmFsdWU=");
        assert_eq!(Credentials::from_rest(&rest).expect("decodes"), c);
        let json = serde_json::to_value(&rest).expect("json");
        assert!(json["tokens"]["entry"][0]["value"].is_string(), "{json}");
    }
}
