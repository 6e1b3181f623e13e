//! Hadoop delegation tokens: the `Token` Writable, its URL string form, and the identifier
//! inside it.
//!
//! A token is four fields: an identifier and a password (VInt-prefixed bytes), a kind and a
//! service (`Text`). [`Token::encode_to_url_string`] is `Token.encodeToUrlString`: the
//! Writable bytes in URL-safe base64 without padding, the form WebHDFS and the RM REST API
//! answer with and the REST submission's `credentials.tokens` expects.
//!
//! The kind says which secret manager issued a token and the service says which server it is
//! for: Hadoop clients pick a token by (kind, service), never by alias. So a token is only
//! useful if both match what the reader will look for; [`Token::set_kind`] and
//! [`Token::set_service`] exist for that (see `delegation` for the HDFS rewrite).

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::writable::{self, Reader, WritableError};

/// The kind of an HDFS delegation token used over RPC (`DelegationTokenIdentifier.HDFS_DELEGATION_KIND`).
pub const HDFS_DELEGATION_KIND: &str = "HDFS_DELEGATION_TOKEN";
/// The kind the NameNode gives a token fetched over `http://` WebHDFS.
pub const WEBHDFS_DELEGATION_KIND: &str = "WEBHDFS delegation";
/// The kind the NameNode gives a token fetched over `https://` WebHDFS.
pub const SWEBHDFS_DELEGATION_KIND: &str = "SWEBHDFS delegation";
/// The kind of a ResourceManager delegation token (`RMDelegationTokenIdentifier.KIND_NAME`).
pub const RM_DELEGATION_KIND: &str = "RM_DELEGATION_TOKEN";

/// Why a token could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The Writable bytes are malformed.
    #[error("not a Hadoop token: {0}")]
    Writable(#[from] WritableError),
    /// Bytes follow the last field.
    #[error("not a Hadoop token: {0} bytes after the service field")]
    TrailingBytes(usize),
    /// The URL string is not base64.
    #[error("not a Hadoop token URL string: {0}")]
    Base64(String),
    /// The identifier is not in the format of the token's kind.
    #[error("cannot read the identifier of a {kind} token: {message}")]
    Identifier {
        /// The token's kind.
        kind: String,
        /// What was wrong.
        message: String,
    },
}

/// A Hadoop `Token<TokenIdentifier>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    identifier: Vec<u8>,
    password: Vec<u8>,
    kind: String,
    service: String,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password is a secret: never in logs.
        f.debug_struct("Token")
            .field("kind", &self.kind)
            .field("service", &self.service)
            .field("identifier_len", &self.identifier.len())
            .finish_non_exhaustive()
    }
}

impl Token {
    /// A token from its four fields.
    pub fn new(
        identifier: Vec<u8>,
        password: Vec<u8>,
        kind: impl Into<String>,
        service: impl Into<String>,
    ) -> Self {
        Token {
            identifier,
            password,
            kind: kind.into(),
            service: service.into(),
        }
    }

    /// The identifier bytes (owner, renewer, dates...; see [`Self::delegation_identifier`]).
    pub fn identifier(&self) -> &[u8] {
        &self.identifier
    }

    /// The password: the HMAC of the identifier under the issuer's master key.
    pub(crate) fn password(&self) -> &[u8] {
        &self.password
    }

    /// The kind, e.g. [`HDFS_DELEGATION_KIND`].
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The service, e.g. `127.0.0.1:8020` or `ha-hdfs:mycluster`.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// Changes the kind (the identifier and password stay valid: the server checks neither
    /// kind nor service).
    pub(crate) fn set_kind(&mut self, kind: impl Into<String>) {
        self.kind = kind.into();
    }

    /// Changes the service.
    pub(crate) fn set_service(&mut self, service: impl Into<String>) {
        self.service = service.into();
    }

    /// The same token with another kind and service.
    pub(crate) fn with_kind_and_service(
        mut self,
        kind: impl Into<String>,
        service: impl Into<String>,
    ) -> Self {
        self.set_kind(kind);
        self.set_service(service);
        self
    }

    /// Appends the `Token.write` Writable form.
    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        writable::write_bytes(out, &self.identifier);
        writable::write_bytes(out, &self.password);
        writable::write_text(out, &self.kind);
        writable::write_text(out, &self.service);
    }

    /// The `Token.write` Writable form.
    pub fn to_writable(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }

    /// Reads one token (`Token.readFields`) from `reader`, leaving what follows.
    ///
    /// # Errors
    /// When the bytes end early or a field is malformed.
    pub(crate) fn read_from(reader: &mut Reader<'_>) -> Result<Self, TokenError> {
        let identifier = reader.bytes("token identifier")?.to_vec();
        let password = reader.bytes("token password")?.to_vec();
        let kind = reader.text("token kind")?;
        let service = reader.text("token service")?;
        Ok(Token {
            identifier,
            password,
            kind,
            service,
        })
    }

    /// Decodes exactly one Writable token.
    ///
    /// # Errors
    /// When the bytes are malformed or longer than one token.
    pub(crate) fn from_writable(bytes: &[u8]) -> Result<Self, TokenError> {
        let mut reader = Reader::new(bytes);
        let token = Self::read_from(&mut reader)?;
        match reader.remaining().len() {
            0 => Ok(token),
            n => Err(TokenError::TrailingBytes(n)),
        }
    }

    /// `Token.encodeToUrlString`: URL-safe base64, no padding, of the Writable form.
    pub fn encode_to_url_string(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.to_writable())
    }

    /// `Token.decodeFromUrlString`: accepts the URL-safe and the standard alphabets, with or
    /// without padding (commons-codec's decoder accepts all of them).
    ///
    /// # Errors
    /// When the text is not base64 or not a token.
    pub fn decode_from_url_string(text: &str) -> Result<Self, TokenError> {
        const LENIENT: GeneralPurpose = GeneralPurpose::new(
            &base64::alphabet::URL_SAFE,
            GeneralPurposeConfig::new()
                .with_decode_padding_mode(DecodePaddingMode::Indifferent)
                .with_decode_allow_trailing_bits(true),
        );
        let normalized: String = text
            .trim()
            .chars()
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                c => c,
            })
            .collect();
        let bytes = LENIENT
            .decode(normalized)
            .map_err(|e| TokenError::Base64(e.to_string()))?;
        Self::from_writable(&bytes)
    }

    /// The decoded identifier of a delegation token (HDFS, WebHDFS, RM and other
    /// `AbstractDelegationTokenIdentifier` kinds): owner, renewer, real user and dates.
    ///
    /// # Errors
    /// When the identifier is in neither the Writable layout nor YARN's protobuf layout.
    pub fn delegation_identifier(&self) -> Result<DelegationTokenIdentifier, TokenError> {
        let fail = |message: String| TokenError::Identifier {
            kind: self.kind.clone(),
            message,
        };
        // YARN's identifiers (RM, timeline) are YARNDelegationTokenIdentifierProto; the
        // others (HDFS, WebHDFS, KMS...) are AbstractDelegationTokenIdentifier Writables.
        if self.kind == RM_DELEGATION_KIND || self.kind.starts_with("TIMELINE") {
            DelegationTokenIdentifier::from_yarn_protobuf(&self.identifier)
                .map_err(|e| fail(e.to_string()))
        } else {
            DelegationTokenIdentifier::from_writable(&self.identifier)
                .map_err(|e| fail(e.to_string()))
        }
    }
}

/// The fields of an `AbstractDelegationTokenIdentifier`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DelegationTokenIdentifier {
    /// The user the token authenticates as.
    pub owner: String,
    /// The short name of the user allowed to renew it (e.g. `yarn` for the RM).
    pub renewer: String,
    /// The user that asked for it on the owner's behalf (proxy users), else empty.
    pub real_user: String,
    /// Issue time, ms since the epoch.
    pub issue_date: i64,
    /// Time after which no renewal extends it, ms since the epoch.
    pub max_date: i64,
    /// The issuer's sequence number.
    pub sequence_number: i32,
    /// The issuer's master key id.
    pub master_key_id: i32,
}

impl DelegationTokenIdentifier {
    /// The Writable layout: version byte 0, owner, renewer, real user (`Text`), issue and max
    /// dates (VLong), sequence number and master key id (VInt).
    ///
    /// # Errors
    /// When the bytes are malformed or of another version.
    pub(crate) fn from_writable(bytes: &[u8]) -> Result<Self, WritableError> {
        let mut r = Reader::new(bytes);
        let version = r.byte("identifier version")?;
        if version != 0 {
            return Err(WritableError::IntTooLong {
                what: "identifier version (only 0 is known)",
                value: i64::from(version),
            });
        }
        Ok(DelegationTokenIdentifier {
            owner: r.text("owner")?,
            renewer: r.text("renewer")?,
            real_user: r.text("real user")?,
            issue_date: r.vlong("issue date")?,
            max_date: r.vlong("max date")?,
            sequence_number: r.vint("sequence number")?,
            master_key_id: r.vint("master key id")?,
        })
    }

    /// The Writable layout, as a NameNode writes it (for tests and tools).
    pub fn to_writable(&self) -> Vec<u8> {
        let mut out = vec![0];
        writable::write_text(&mut out, &self.owner);
        writable::write_text(&mut out, &self.renewer);
        writable::write_text(&mut out, &self.real_user);
        writable::write_vlong(&mut out, self.issue_date);
        writable::write_vlong(&mut out, self.max_date);
        writable::write_vint(&mut out, self.sequence_number);
        writable::write_vint(&mut out, self.master_key_id);
        out
    }

    /// YARN's `YARNDelegationTokenIdentifierProto` (owner 1, renewer 2, realUser 3, issueDate
    /// 4, maxDate 5, sequenceNumber 6, masterKeyId 7).
    fn from_yarn_protobuf(bytes: &[u8]) -> Result<Self, prost::DecodeError> {
        use prost::Message;
        let proto = YarnDelegationTokenIdentifierProto::decode(bytes)?;
        Ok(DelegationTokenIdentifier {
            owner: proto.owner.unwrap_or_default(),
            renewer: proto.renewer.unwrap_or_default(),
            real_user: proto.real_user.unwrap_or_default(),
            issue_date: proto.issue_date.unwrap_or_default(),
            max_date: proto.max_date.unwrap_or_default(),
            sequence_number: proto.sequence_number.unwrap_or_default(),
            master_key_id: proto.master_key_id.unwrap_or_default(),
        })
    }
}

#[derive(Clone, PartialEq, prost::Message)]
struct YarnDelegationTokenIdentifierProto {
    #[prost(string, optional, tag = "1")]
    owner: Option<String>,
    #[prost(string, optional, tag = "2")]
    renewer: Option<String>,
    #[prost(string, optional, tag = "3")]
    real_user: Option<String>,
    #[prost(int64, optional, tag = "4")]
    issue_date: Option<i64>,
    #[prost(int64, optional, tag = "5")]
    max_date: Option<i64>,
    #[prost(int32, optional, tag = "6")]
    sequence_number: Option<i32>,
    #[prost(int32, optional, tag = "7")]
    master_key_id: Option<i32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_identifier() -> DelegationTokenIdentifier {
        DelegationTokenIdentifier {
            owner: "alice".into(),
            renewer: "yarn".into(),
            real_user: "skein".into(),
            issue_date: 1_700_000_000_000,
            max_date: 1_700_604_800_000,
            sequence_number: 7,
            master_key_id: 300,
        }
    }

    /// The bytes `Token.write` produces, worked out field by field.
    #[test]
    fn writable_layout_is_hadoops() {
        let token = Token::new(vec![1, 2, 3], vec![9; 20], "K", "127.0.0.1:8020");
        let mut expected = vec![3, 1, 2, 3, 20];
        expected.extend_from_slice(&[9; 20]);
        expected.extend_from_slice(b"\x01K\x0e127.0.0.1:8020");
        assert_eq!(token.to_writable(), expected);
        assert_eq!(Token::from_writable(&expected), Ok(token));
    }

    #[test]
    fn url_string_is_url_safe_base64_without_padding() {
        // 0xfb 0xff in the identifier gives '_' in URL-safe base64 ('/' in the standard
        // alphabet).
        let token = Token::new(vec![0xfb, 0xff], vec![], "", "");
        assert_eq!(token.to_writable(), [2, 0xfb, 0xff, 0, 0, 0]);
        assert_eq!(token.encode_to_url_string(), "Avv_AAAA");
        // 7 bytes: standard base64 would end in "==".
        let odd = Token::new(vec![0xfb, 0xef, 0xff], vec![], "", "");
        let url = odd.encode_to_url_string();
        assert_eq!(url, "A_vv_wAAAA");
        assert!(!url.contains('=') && !url.contains('+') && !url.contains('/'));
        for text in [
            "A_vv_wAAAA",
            "A_vv_wAAAA==",
            "A/vv/wAAAA",
            "A/vv/wAAAA==",
            " A_vv_wAAAA\n",
        ] {
            assert_eq!(
                Token::decode_from_url_string(text),
                Ok(odd.clone()),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_url_strings_are_errors() {
        assert!(matches!(
            Token::decode_from_url_string("not base64!"),
            Err(TokenError::Base64(_))
        ));
        // Valid base64 of a truncated token.
        assert!(matches!(
            Token::decode_from_url_string("BQE"),
            Err(TokenError::Writable(WritableError::Truncated { .. }))
        ));
        let mut bytes = Token::new(vec![], vec![], "k", "s").to_writable();
        bytes.push(0);
        assert_eq!(
            Token::from_writable(&bytes),
            Err(TokenError::TrailingBytes(1))
        );
    }

    #[test]
    fn kind_and_service_can_change_without_touching_the_secret() {
        let original = Token::new(
            sample_identifier().to_writable(),
            vec![7; 20],
            WEBHDFS_DELEGATION_KIND,
            "127.0.0.1:8020",
        );
        let rewritten = original
            .clone()
            .with_kind_and_service(HDFS_DELEGATION_KIND, "ha-hdfs:ns1");
        assert_eq!(rewritten.kind(), HDFS_DELEGATION_KIND);
        assert_eq!(rewritten.service(), "ha-hdfs:ns1");
        assert_eq!(rewritten.identifier(), original.identifier());
        assert_eq!(rewritten.password(), original.password());
        let back = Token::decode_from_url_string(&rewritten.encode_to_url_string());
        assert_eq!(back, Ok(rewritten));
    }

    #[test]
    fn writable_identifiers_decode() {
        let id = sample_identifier();
        let token = Token::new(id.to_writable(), vec![], HDFS_DELEGATION_KIND, "x:1");
        assert_eq!(token.delegation_identifier(), Ok(id));
        let broken = Token::new(vec![0, 5, b'a'], vec![], HDFS_DELEGATION_KIND, "x:1");
        let err = broken.delegation_identifier().expect_err("truncated owner");
        assert!(err.to_string().contains("HDFS_DELEGATION_TOKEN"), "{err}");
    }

    #[test]
    fn yarn_protobuf_identifiers_decode() {
        use prost::Message;
        let proto = YarnDelegationTokenIdentifierProto {
            owner: Some("alice".into()),
            renewer: Some("yarn".into()),
            real_user: Some("skein".into()),
            issue_date: Some(1_700_000_000_000),
            max_date: Some(1_700_604_800_000),
            sequence_number: Some(7),
            master_key_id: Some(300),
        };
        let token = Token::new(proto.encode_to_vec(), vec![], RM_DELEGATION_KIND, "rm:8032");
        assert_eq!(token.delegation_identifier(), Ok(sample_identifier()));
    }

    /// Tokens the secure test cluster handed out (a throwaway MiniKdc realm): the NameNode's
    /// answer to WebHDFS GETDELEGATIONTOKEN and the RM's to POST /delegation-token.
    const WEBHDFS_URL_STRING: &str = "HwAFc2tlaW4GaGFkb29wAIoBojWXK4GKAaJZo6-BAQIUt2UYpwIpWMKoJyX6m6GUBG7WWc8SV0VCSERGUyBkZWxlZ2F0aW9uDzEyNy4wLjAuMTozOTk4OQ";
    const RM_URL_STRING: &str = "LQoRc2tlaW5ARVhBTVBMRS5DT00SBmhhZG9vcCDg69-sozQo4PORzaU0MAM4AhR1VEjtv-_SJ8QGM7icB3VOdQyL8RNSTV9ERUxFR0FUSU9OX1RPS0VOAA";

    #[test]
    fn real_webhdfs_token_decodes_and_re_encodes_identically() {
        let token = Token::decode_from_url_string(WEBHDFS_URL_STRING).expect("decodes");
        assert_eq!(token.kind(), WEBHDFS_DELEGATION_KIND);
        assert_eq!(token.service(), "127.0.0.1:39989");
        assert_eq!(token.password().len(), 20, "an HMAC-SHA1");
        let id = token.delegation_identifier().expect("identifier");
        assert_eq!(
            id,
            DelegationTokenIdentifier {
                owner: "skein".into(),
                renewer: "hadoop".into(),
                real_user: String::new(),
                issue_date: 1_796_195_429_249,
                max_date: 1_796_800_229_249,
                sequence_number: 1,
                master_key_id: 2,
            }
        );
        // 7 days between issue and max date: dfs.namenode.delegation.token.max-lifetime.
        assert_eq!(id.max_date - id.issue_date, 7 * 24 * 3600 * 1000);
        assert_eq!(token.encode_to_url_string(), WEBHDFS_URL_STRING);
        assert_eq!(id.to_writable(), token.identifier());
    }

    #[test]
    fn real_rm_token_decodes_with_the_yarn_protobuf_identifier() {
        let token = Token::decode_from_url_string(RM_URL_STRING).expect("decodes");
        assert_eq!(token.kind(), RM_DELEGATION_KIND);
        assert_eq!(token.service(), "", "the RM leaves the service empty");
        let id = token.delegation_identifier().expect("identifier");
        assert_eq!(id.owner, "skein@EXAMPLE.COM");
        assert_eq!(id.renewer, "hadoop");
        assert_eq!(id.sequence_number, 3);
        assert_eq!(id.max_date - id.issue_date, 7 * 24 * 3600 * 1000);
        assert_eq!(token.encode_to_url_string(), RM_URL_STRING);
    }

    #[test]
    fn debug_output_hides_the_password() {
        let token = Token::new(vec![1], b"s3cret".to_vec(), "K", "S");
        let text = format!("{token:?}");
        assert!(!text.contains("s3cret") && !text.contains("115"), "{text}");
    }
}
