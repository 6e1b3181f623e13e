//! Key order and key ranges of the key-value store.
//!
//! Skein's ApplicationMaster keeps keys in a Java `TreeMap<String, _>`, so clients observe
//! Java's `String.compareTo` order: UTF-16 code units, not Unicode scalar values. The two orders
//! agree except between supplementary characters (U+10000 and up, surrogate pairs in UTF-16)
//! and U+E000..=U+FFFF, where UTF-16 puts the supplementary character first. [`JavaKey`] carries
//! that order into a `BTreeMap`; [`KeyRange`] is the `[start, end)` selection used by
//! `GetRange`, `DeleteRange` and watches, with Skein's rules for open bounds.

use std::cmp::Ordering;
use std::ops::Bound;

/// A key ordered like Java's `String.compareTo` (UTF-16 code units).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct JavaKey(pub String);

impl JavaKey {
    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Ord for JavaKey {
    fn cmp(&self, other: &Self) -> Ordering {
        java_cmp(&self.0, &other.0)
    }
}

impl PartialOrd for JavaKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two strings the way Java's `String.compareTo` does (by UTF-16 code units).
///
/// Runs on UTF-8 bytes and only decodes the first differing character: UTF-8 byte order equals
/// code point order, so only that character pair can disagree with UTF-16 order.
pub(crate) fn java_cmp(a: &str, b: &str) -> Ordering {
    let (a_bytes, b_bytes) = (a.as_bytes(), b.as_bytes());
    let common = a_bytes
        .iter()
        .zip(b_bytes)
        .take_while(|(x, y)| x == y)
        .count();
    if common == a_bytes.len() || common == b_bytes.len() {
        // One is a prefix of the other: the shorter sorts first, in both encodings.
        return a_bytes.len().cmp(&b_bytes.len());
    }
    // Equal prefixes end on the same character boundary in both strings (UTF-8 is
    // self-synchronising), so the characters starting there are the first that differ.
    let mut boundary = common;
    while !a.is_char_boundary(boundary) {
        boundary -= 1;
    }
    match (a[boundary..].chars().next(), b[boundary..].chars().next()) {
        (Some(x), Some(y)) => {
            let (mut x_units, mut y_units) = ([0u16; 2], [0u16; 2]);
            // Never Equal: x != y, and a BMP character never equals a lead surrogate.
            let x_units: &[u16] = x.encode_utf16(&mut x_units);
            x_units.cmp(y.encode_utf16(&mut y_units))
        }
        // Unreachable (both strings extend past `common`), but byte order is a sound fallback.
        _ => a_bytes.cmp(b_bytes),
    }
}

/// A `[start, end)` selection of keys, as requested by `GetRange`/`DeleteRange`.
///
/// Skein's rules: an empty `start`, or `start == "\u{0}"`, is open; an empty `end` is open;
/// `start > end` (both bounded) selects nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeyRange {
    start: Option<JavaKey>,
    end: Option<JavaKey>,
    empty: bool,
}

impl KeyRange {
    /// The selection a request's `start`/`end` fields describe.
    pub fn new(start: &str, end: &str) -> Self {
        let start = (!(start.is_empty() || start == "\u{0}")).then(|| JavaKey(start.to_owned()));
        let end = (!end.is_empty()).then(|| JavaKey(end.to_owned()));
        let empty = matches!((&start, &end), (Some(s), Some(e)) if s > e);
        KeyRange { start, end, empty }
    }

    /// Whether `key` is selected.
    pub fn contains(&self, key: &str) -> bool {
        !self.empty
            && self
                .start
                .as_ref()
                .is_none_or(|s| java_cmp(&s.0, key) != Ordering::Greater)
            && self
                .end
                .as_ref()
                .is_none_or(|e| java_cmp(key, &e.0) == Ordering::Less)
    }

    /// Bounds for `BTreeMap::range`, or `None` when nothing is selected.
    ///
    /// `None` also guards `BTreeMap::range`, which panics when `start > end`.
    pub fn bounds(&self) -> Option<(Bound<&JavaKey>, Bound<&JavaKey>)> {
        if self.empty {
            return None;
        }
        Some((
            self.start
                .as_ref()
                .map_or(Bound::Unbounded, Bound::Included),
            self.end.as_ref().map_or(Bound::Unbounded, Bound::Excluded),
        ))
    }
}

/// The key interval of a watch: `[start, end)`, empty `end` meaning unbounded.
///
/// Unlike [`KeyRange`], `start == "\u{0}"` is not special here: Skein's interval tree stores
/// the start as given, so such a watch does not see the (unusual) empty key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WatchInterval {
    start: String,
    end: Option<String>,
}

impl WatchInterval {
    /// The interval a `WatchCreateRequest`'s `start`/`end` describe.
    pub fn new(start: &str, end: &str) -> Self {
        WatchInterval {
            start: start.to_owned(),
            end: (!end.is_empty()).then(|| end.to_owned()),
        }
    }

    /// Whether events on `key` reach this watch.
    pub fn contains(&self, key: &str) -> bool {
        java_cmp(&self.start, key) != Ordering::Greater
            && self
                .end
                .as_deref()
                .is_none_or(|e| java_cmp(key, e) == Ordering::Less)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn utf16_cmp(a: &str, b: &str) -> Ordering {
        a.encode_utf16().cmp(b.encode_utf16())
    }

    #[test]
    fn supplementary_characters_sort_before_the_private_use_area_like_java() {
        // U+10000 is a surrogate pair D800 DC00 in UTF-16, which sorts before U+E000.
        assert_eq!(java_cmp("\u{10000}", "\u{E000}"), Ordering::Less);
        assert_eq!(java_cmp("a\u{FFFF}", "a\u{1F600}"), Ordering::Greater);
        // Plain ASCII and BMP text sorts as usual.
        assert_eq!(java_cmp("abc", "abd"), Ordering::Less);
        assert_eq!(java_cmp("ab", "abc"), Ordering::Less);
        assert_eq!(java_cmp("é", "e"), Ordering::Greater);
        assert_eq!(java_cmp("", ""), Ordering::Equal);
    }

    #[test]
    fn ranges_follow_skeins_open_bound_rules() {
        let all = KeyRange::new("", "");
        assert!(all.contains("") && all.contains("zzz"));
        let nul_start = KeyRange::new("\u{0}", "b");
        assert!(nul_start.contains("") && nul_start.contains("a") && !nul_start.contains("b"));
        let closed = KeyRange::new("b", "d");
        assert!(!closed.contains("a") && closed.contains("b") && closed.contains("c"));
        assert!(!closed.contains("d"));
        let reversed = KeyRange::new("d", "b");
        assert!(!reversed.contains("c") && reversed.bounds().is_none());
        let same = KeyRange::new("b", "b");
        assert!(!same.contains("b") && same.bounds().is_some());
    }

    #[test]
    fn watch_intervals_treat_only_the_empty_end_as_open() {
        let everything = WatchInterval::new("", "");
        assert!(everything.contains("") && everything.contains("x"));
        let key = WatchInterval::new("foo", "foo\u{0}");
        assert!(key.contains("foo") && !key.contains("foo0") && !key.contains("fo"));
        assert!(!WatchInterval::new("\u{0}", "").contains(""));
    }

    fn key_text() -> impl Strategy<Value = String> {
        let alphabet = prop::sample::select(vec![
            'a',
            'b',
            '\u{0}',
            '\u{7F}',
            'é',
            '\u{D7FF}',
            '\u{E000}',
            '\u{FFFF}',
            '\u{10000}',
            '\u{1F600}',
            '\u{10FFFF}',
        ]);
        prop::collection::vec(alphabet, 0..5).prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #[test]
        fn java_cmp_equals_utf16_code_unit_order(a in key_text(), b in key_text()) {
            prop_assert_eq!(java_cmp(&a, &b), utf16_cmp(&a, &b));
        }

        #[test]
        fn range_contains_agrees_with_btree_range(
            start in key_text(), end in key_text(), keys in prop::collection::vec(key_text(), 0..8)
        ) {
            let range = KeyRange::new(&start, &end);
            let map: std::collections::BTreeMap<JavaKey, ()> =
                keys.iter().map(|k| (JavaKey(k.clone()), ())).collect();
            let selected: Vec<&str> = match range.bounds() {
                Some(bounds) => map.range::<JavaKey, _>(bounds).map(|(k, _)| k.as_str()).collect(),
                None => Vec::new(),
            };
            let expected: Vec<&str> =
                map.keys().map(JavaKey::as_str).filter(|k| range.contains(k)).collect();
            prop_assert_eq!(selected, expected);
        }
    }
}
