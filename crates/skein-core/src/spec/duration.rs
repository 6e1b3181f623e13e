//! Durations written in a spec or on the command line (`2h`, `1h30m`, `90s`, `500ms`, or a
//! bare number of seconds), and their shortest text form.
//!
//! Units: `d` (days), `h`, `m`, `s`, `ms`; parts add up and may come in any order, so `1h30m`
//! and `90m` are the same duration. Spaces between parts are ignored, case does not matter.

use std::time::Duration;

/// Why a duration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Not numbers with units.
    #[error(
        "invalid duration '{0}': expected a number of seconds or numbers with units, such as \
         '90s', '30m', '2h', '1h30m' or '1d' (units d, h, m, s, ms)"
    )]
    Invalid(String),
    /// More milliseconds than a `u64` holds.
    #[error("invalid duration '{0}': too long")]
    TooLong(String),
}

/// Milliseconds per unit, keyed by the lower-cased unit.
fn unit_millis(unit: &str) -> Option<u64> {
    Some(match unit {
        "ms" => 1,
        "s" | "" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    })
}

/// Parses a duration written as text; a bare number is seconds.
///
/// # Errors
/// [`DurationError`] when the text is empty, holds an unknown unit or a number without digits,
/// or overflows.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    let invalid = || DurationError::Invalid(text.to_string());
    if compact.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    let mut rest = compact.as_str();
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(invalid());
        }
        let (number, after) = rest.split_at(digits);
        let letters = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(letters);
        // A bare number is seconds, and only alone: "1h30" is more likely a typo than 1h 30s.
        if unit.is_empty() && (!after.is_empty() || total != 0 || rest.len() != compact.len()) {
            return Err(invalid());
        }
        let per_unit = unit_millis(unit).ok_or_else(invalid)?;
        let n: u64 = number
            .parse()
            .map_err(|_| DurationError::TooLong(text.to_string()))?;
        total = n
            .checked_mul(per_unit)
            .and_then(|millis| total.checked_add(millis))
            .ok_or_else(|| DurationError::TooLong(text.to_string()))?;
        rest = after;
    }
    Ok(Duration::from_millis(total))
}

/// The shortest text of a duration that [`parse_duration`] reads back: `2h`, `1h30m`, `90s`
/// is written `1m30s`, `0s` for zero.
pub fn format_duration(duration: Duration) -> String {
    let mut millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
    if millis == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    for (unit, per_unit) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ] {
        let n = millis / per_unit;
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
            millis %= per_unit;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_add_up_and_a_bare_number_is_seconds() {
        for (text, seconds) in [
            ("90", 90),
            ("90s", 90),
            ("2h", 7200),
            ("1h30m", 5400),
            ("1H 30M", 5400),
            ("30m1h", 5400),
            ("1d", 86_400),
            ("0s", 0),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(seconds)),
                "{text}"
            );
        }
        assert_eq!(parse_duration("1s500ms"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn bad_text_is_refused_naming_it() {
        for text in ["", "h", "2 hours", "1.5h", "-1s", "1h30", "2w", "s5"] {
            assert_eq!(
                parse_duration(text),
                Err(DurationError::Invalid(text.to_string())),
                "{text}"
            );
        }
        assert_eq!(
            parse_duration("99999999999999999999d"),
            Err(DurationError::TooLong("99999999999999999999d".into()))
        );
        assert_eq!(
            parse_duration("2 hours").map_err(|e| e.to_string()),
            Err(
                "invalid duration '2 hours': expected a number of seconds or numbers with units, \
                 such as '90s', '30m', '2h', '1h30m' or '1d' (units d, h, m, s, ms)"
                    .to_string()
            )
        );
    }

    #[test]
    fn formatting_reads_back() {
        for millis in [
            0,
            1,
            999,
            1000,
            90_000,
            5_400_000,
            86_400_000 + 1,
            123_456_789,
        ] {
            let d = Duration::from_millis(millis);
            assert_eq!(parse_duration(&format_duration(d)), Ok(d), "{millis}");
        }
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(90)), "1m30s");
    }
}
