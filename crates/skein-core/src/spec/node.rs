//! A small located document tree: the parsed YAML or JSON text before it becomes a model.
//!
//! The model is built from this tree by hand (see `build`) rather than by serde derive, because
//! a derive stops at the first error and cannot say where a default was taken; walking a tree
//! lets the loader report every problem of a spec with its line and column.
//!
//! Both formats go through serde-saphyr (JSON is YAML 1.2), so every node of either format has
//! a position. JSON is first checked by serde_json, which has the exact JSON grammar and good
//! syntax errors; serde-saphyr would accept some texts that are not JSON.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// The largest spec text we parse; real specs are a few kilobytes.
pub(crate) const MAX_SPEC_BYTES: usize = 4 * 1024 * 1024;

/// A position in the spec text: 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    /// Line, counted from 1; 0 when unknown.
    pub line: u64,
    /// Column, counted from 1; 0 when unknown.
    pub column: u64,
}

impl Pos {
    /// The start of a document, where problems of the whole spec are reported.
    pub(crate) const START: Pos = Pos { line: 1, column: 1 };
}

/// A value of the document with where it came from.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub value: Value,
    pub pos: Pos,
}

/// The untyped value of a node, typed by the YAML 1.2 core schema.
#[derive(Clone, Debug)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// How a value is named in "found ..." parts of messages.
    pub(crate) fn kind(&self) -> String {
        match self {
            Value::Null => "null".to_string(),
            Value::Bool(b) => format!("the boolean {b}"),
            Value::Int(i) => format!("the integer {i}"),
            Value::Float(f) => format!("the number {f}"),
            Value::Str(s) => format!("the string '{}'", shorten(s)),
            Value::Seq(_) => "a list".to_string(),
            Value::Map(_) => "a mapping".to_string(),
        }
    }
}

/// Keeps quoted user text in messages to a readable length.
pub(crate) fn shorten(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}...")
    }
}

/// A parse failure: the text is not YAML (or JSON) at all.
#[derive(Clone, Debug)]
pub(crate) struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node {
            value: spanned.value,
            pos: Pos {
                line: spanned.referenced.line(),
                column: spanned.referenced.column(),
            },
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(v.into()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        // Beyond i128 nothing in a spec is valid anyway; saturate so the range check reports it.
        Ok(Value::Int(i128::try_from(v).unwrap_or(i128::MAX)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        // `!!binary` scalars: a spec has no binary fields, keep the text if it is text.
        match std::str::from_utf8(v) {
            Ok(s) => Ok(Value::Str(s.to_string())),
            Err(_) => Err(E::custom("binary data is not allowed in a spec")),
        }
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Node>()? {
            let value = map.next_value::<Node>()?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

/// At most this many values, keys and collections in a spec.
const MAX_NODES: usize = 100_000;
/// At most this many parser events (a value is one, a collection two).
const MAX_EVENTS: usize = 200_000;
/// At most this deep nesting.
const MAX_DEPTH: usize = 32;
/// At most this many anchors, aliases and merge keys each.
const MAX_ALIASES: usize = 1_000;

/// Limits that keep hostile input (alias bombs, deep nesting, huge scalars) cheap to reject.
fn parse_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_events: MAX_EVENTS,
            max_aliases: MAX_ALIASES,
            max_anchors: MAX_ALIASES,
            max_depth: MAX_DEPTH,
            max_documents: 1,
            max_nodes: MAX_NODES,
            max_total_scalar_bytes: MAX_SPEC_BYTES,
            max_recorded_anchor_events: 100_000,
            max_recorded_anchor_bytes: MAX_SPEC_BYTES,
            max_merge_keys: MAX_ALIASES,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 100_000,
            max_replay_stack_depth: 16,
        },
        // YAML 1.2: `yes`, `no`, `on`, `off` are strings, not booleans.
        strict_booleans: true,
        with_snippet: false,
    }
}

/// Parses YAML text into a located tree. An empty document is `Null`.
pub(crate) fn parse_yaml(text: &str) -> Result<Node, SyntaxError> {
    if text.len() > MAX_SPEC_BYTES {
        return Err(too_large());
    }
    if text.trim().is_empty() || only_comments(text) {
        return Ok(Node {
            value: Value::Null,
            pos: Pos::START,
        });
    }
    serde_saphyr::from_str_with_options::<Node>(text, parse_options()).map_err(|e| {
        let pos = e
            .location()
            .map(|l| Pos {
                line: l.line(),
                column: l.column(),
            })
            .unwrap_or(Pos::START);
        SyntaxError {
            pos,
            message: saphyr_message(&e),
        }
    })
}

/// Parses JSON text into a located tree: serde_json judges the grammar, serde-saphyr locates.
pub(crate) fn parse_json(text: &str) -> Result<Node, SyntaxError> {
    if text.len() > MAX_SPEC_BYTES {
        return Err(too_large());
    }
    if let Err(e) = serde_json::from_str::<de::IgnoredAny>(text) {
        let message = e.to_string();
        // serde_json appends " at line L column C"; the position is reported separately.
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_string(),
            None => message,
        };
        return Err(SyntaxError {
            pos: Pos {
                line: e.line() as u64,
                column: e.column() as u64,
            },
            message: format!("invalid JSON: {message}"),
        });
    }
    parse_yaml(&json_as_yaml(text))
}

/// Rewrites valid JSON so that a YAML parser reads the same values.
///
/// Valid JSON holds raw tabs only as whitespace between tokens (inside strings they must be
/// escaped), and YAML does not allow tabs everywhere JSON does, so they become spaces. Raw
/// characters YAML does not allow in a stream (DEL, C1 controls, U+FFFE/U+FFFF) can only be
/// inside JSON strings, where an escape means the same. Columns after such a character shift.
fn json_as_yaml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push(' '),
            '\n' | '\r' | ' '..='~' | '\u{85}' => out.push(c),
            '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'.. => out.push(c),
            _ => out.push_str(&format!("\\u{:04x}", u32::from(c))),
        }
    }
    out
}

fn too_large() -> SyntaxError {
    SyntaxError {
        pos: Pos::START,
        message: format!("the spec is larger than {} MiB", MAX_SPEC_BYTES >> 20),
    }
}

fn only_comments(text: &str) -> bool {
    text.lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
}

/// serde-saphyr's own message, reworded where it speaks of its API, without the location it
/// would add (we print our own).
fn saphyr_message(e: &serde_saphyr::Error) -> String {
    let rendered = e.without_snippet().to_string();
    let first = rendered.lines().next().unwrap_or("").trim();
    let mut msg = first.strip_prefix("error: ").unwrap_or(first);
    if let Some(rest) = msg.strip_prefix("line ")
        && let Some(i) = rest.find(": ")
    {
        msg = &rest[i + 2..];
    }
    if let Some(i) = msg.find(" at line ") {
        msg = &msg[..i];
    }
    if let Some(rest) = msg.strip_prefix("duplicate mapping key: ") {
        let key = rest
            .split(", set DuplicateKeyPolicy")
            .next()
            .unwrap_or(rest);
        return format!("invalid YAML: duplicate key `{}`", shorten(key));
    }
    if msg.contains("budget breached") || msg.contains("limit exceeded") {
        let why = if msg.contains("Depth") || msg.contains("nesting") {
            format!("it is nested too deeply (more than {MAX_DEPTH} levels)")
        } else if msg.contains("MergeKeys") {
            format!("it has more than {MAX_ALIASES} merge keys (`<<`)")
        } else if msg.contains("Anchor") || msg.contains("Alias") || msg.contains("alias") {
            "its aliases expand to too much (a YAML alias bomb?)".to_string()
        } else if msg.contains("Documents") {
            "it holds more than one YAML document (remove the `---` separators)".to_string()
        } else if msg.contains("Nodes") || msg.contains("Events") {
            format!(
                "it has more than {MAX_NODES} values (keys, values and collections count; \
                 {MAX_EVENTS} parser events at most): split the application"
            )
        } else {
            format!("it exceeds a parser limit ({msg})")
        };
        return format!("invalid YAML: the spec is refused because {why}");
    }
    format!("invalid YAML: {msg}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_breached_limit_is_named_in_the_users_terms() {
        let many: String = (0..60_000).map(|i| format!("k{i}: v\n")).collect();
        let err = parse_yaml(&many).expect_err("over the node limit");
        assert!(
            err.message.contains("more than 100000 values") && err.message.contains("split"),
            "{}",
            err.message
        );
        let err = parse_yaml("a: 1\n---\nb: 2\n").expect_err("two documents");
        assert!(
            err.message.contains("more than one YAML document"),
            "{}",
            err.message
        );
    }

    #[test]
    fn yaml_nodes_carry_positions_of_keys_and_values() {
        let node = parse_yaml("name: x\nservices:\n  a:\n    instances: 2\n").unwrap();
        let Value::Map(entries) = &node.value else {
            panic!("expected a mapping, got {node:?}")
        };
        assert_eq!(entries[0].0.pos, Pos { line: 1, column: 1 });
        assert_eq!(entries[0].1.pos, Pos { line: 1, column: 7 });
        let Value::Map(services) = &entries[1].1.value else {
            panic!("services")
        };
        let Value::Map(a) = &services[0].1.value else {
            panic!("a")
        };
        assert_eq!(a[0].0.pos, Pos { line: 4, column: 5 });
        assert!(matches!(a[0].1.value, Value::Int(2)));
        assert_eq!(
            a[0].1.pos,
            Pos {
                line: 4,
                column: 16
            }
        );
    }

    #[test]
    fn yaml_12_booleans_only() {
        let node = parse_yaml("a: yes\nb: true\nc: ~\nd: 1e3\n").unwrap();
        let Value::Map(e) = node.value else { panic!() };
        assert!(matches!(&e[0].1.value, Value::Str(s) if s == "yes"));
        assert!(matches!(e[1].1.value, Value::Bool(true)));
        assert!(matches!(e[2].1.value, Value::Null));
        assert!(matches!(e[3].1.value, Value::Float(f) if f == 1000.0));
    }

    #[test]
    fn json_nodes_carry_positions() {
        let node = parse_json("{\n\t\"name\": \"x\",\n  \"queue\": 3\n}").unwrap();
        let Value::Map(e) = node.value else { panic!() };
        assert_eq!(
            e[1].1.pos,
            Pos {
                line: 3,
                column: 12
            }
        );
    }

    #[test]
    fn json_syntax_errors_have_positions() {
        let err = parse_json("{\n  \"name\": \"x\",\n}").unwrap_err();
        assert_eq!(err.pos.line, 3);
        assert!(err.message.starts_with("invalid JSON: "), "{}", err.message);
    }

    #[test]
    fn yaml_syntax_errors_have_positions() {
        let err = parse_yaml("a: [1, 2\nb: c\n").unwrap_err();
        assert!(err.pos.line >= 1, "{err:?}");
        assert!(err.message.starts_with("invalid YAML: "), "{}", err.message);
    }

    #[test]
    fn alias_bombs_are_rejected() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert!(parse_yaml(&text).is_err());
    }

    #[test]
    fn deep_nesting_is_rejected() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse_yaml(&text).is_err());
        assert!(parse_json(&text).is_err());
    }
}
