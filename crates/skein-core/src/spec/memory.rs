//! Memory amounts with units ('512 MiB', '2 GB', '1.5g'), parsed exactly as Skein's
//! `parse_memory` does so that a spec means the same number of MiB under both implementations.
//!
//! Rules (skein/model.py): spaces are ignored and case does not matter; the text is a number
//! followed by an optional unit; decimal units (`kB`, `MB`, ...) are powers of 1000, binary
//! units (`KiB`, `MiB`, ...) powers of 1024, each also without its last letter (`k`, `Mi`);
//! `b` is bytes and no unit means MiB; a unit alone means one of it. The result is rounded up
//! to whole MiB.

/// Why a memory amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MemoryError {
    /// Not a number with a known unit.
    #[error(
        "invalid memory '{0}': expected a number with an optional unit such as '512 MiB' or '2 GB'"
    )]
    Invalid(String),
    /// A negative amount.
    #[error("invalid memory '{0}': memory must be positive")]
    Negative(String),
    /// More MiB than YARN's 32-bit memory field holds.
    #[error("invalid memory '{0}': more than {max} MiB", max = i32::MAX)]
    TooLarge(String),
}

const MIB: f64 = (1u64 << 20) as f64;

/// Bytes per unit, keyed by the lower-cased unit as written.
fn unit_bytes(unit: &str) -> Option<f64> {
    let bytes: f64 = match unit {
        "" => MIB,
        "b" => 1.0,
        "kb" | "k" => 1e3,
        "mb" | "m" => 1e6,
        "gb" | "g" => 1e9,
        "tb" | "t" => 1e12,
        "pb" | "p" => 1e15,
        "kib" | "ki" => 1024.0,
        "mib" | "mi" => MIB,
        "gib" | "gi" => (1u64 << 30) as f64,
        "tib" | "ti" => (1u64 << 40) as f64,
        "pib" | "pi" => (1u64 << 50) as f64,
        _ => return None,
    };
    Some(bytes)
}

/// Parses a memory amount written as text into whole MiB (rounded up).
///
/// # Errors
/// [`MemoryError`] when the text is not a number with a known unit, is negative, or is more
/// than `i32::MAX` MiB.
pub(crate) fn parse_memory(text: &str) -> Result<i32, MemoryError> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    // The unit is the trailing run of letters; what precedes it is the number.
    let split = compact
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_alphabetic())
        .last()
        .map_or(compact.len(), |(i, _)| i);
    let (number, unit) = compact.split_at(split);
    let invalid = || MemoryError::Invalid(text.to_string());
    // A number ending in 'e' ("1e") would be split wrongly only for units starting with 'e',
    // and none exists, so the simple split is exact for every valid input.
    let n: f64 = if number.is_empty() {
        if unit.is_empty() {
            return Err(invalid());
        }
        1.0
    } else {
        number.parse().map_err(|_| invalid())?
    };
    if !n.is_finite() {
        return Err(invalid());
    }
    let bytes = unit_bytes(unit).ok_or_else(invalid)?;
    mib_from_f64(n * bytes / MIB, text)
}

/// Rounds a number of MiB up, as Skein does for floats.
///
/// # Errors
/// [`MemoryError`] for negative, non-finite or too large values.
pub(crate) fn memory_from_float(mib: f64) -> Result<i32, MemoryError> {
    if !mib.is_finite() {
        return Err(MemoryError::Invalid(mib.to_string()));
    }
    mib_from_f64(mib, &mib.to_string())
}

/// Checks an integer number of MiB.
///
/// # Errors
/// [`MemoryError`] for negative or too large values.
pub(crate) fn memory_from_int(mib: i128) -> Result<i32, MemoryError> {
    if mib < 0 {
        return Err(MemoryError::Negative(mib.to_string()));
    }
    i32::try_from(mib).map_err(|_| MemoryError::TooLarge(mib.to_string()))
}

fn mib_from_f64(mib: f64, text: &str) -> Result<i32, MemoryError> {
    let rounded = mib.ceil();
    if rounded < 0.0 {
        return Err(MemoryError::Negative(text.to_string()));
    }
    if rounded > f64::from(i32::MAX) {
        return Err(MemoryError::TooLarge(text.to_string()));
    }
    // In range and integral after the checks above, so the cast is exact.
    Ok(rounded as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skein_examples() {
        // The examples of Skein's test_model.py.
        assert_eq!(parse_memory("100 MB"), Ok(96));
        assert_eq!(parse_memory("5kB"), Ok(1));
        assert_eq!(parse_memory("5.4 MiB"), Ok(6));
        assert_eq!(parse_memory("1e3"), Ok(1000));
    }

    #[test]
    fn every_unit_and_its_short_form() {
        let cases = [
            ("1 b", 1),
            ("1048576 b", 1),
            ("1048577 b", 2),
            ("1 kb", 1),
            ("1 k", 1),
            ("1024 KiB", 1),
            ("2048 ki", 2),
            ("1 MB", 1),
            ("2 m", 2),
            ("512 MiB", 512),
            ("512 mi", 512),
            ("2 GB", 1908),
            ("1.5g", 1431),
            ("2 GiB", 2048),
            ("1 gi", 1024),
            ("1 TB", 953_675),
            ("1 t", 953_675),
            ("1 TiB", 1_048_576),
            ("1 ti", 1_048_576),
            ("1 PiB", 1_073_741_824),
            ("1 pi", 1_073_741_824),
            ("1 PB", 953_674_317),
            ("1 p", 953_674_317),
            ("512", 512),
            ("0", 0),
        ];
        for (text, mib) in cases {
            assert_eq!(parse_memory(text), Ok(mib), "{text}");
        }
    }

    #[test]
    fn case_and_spaces_do_not_matter() {
        assert_eq!(parse_memory("  5 1 2 mIb "), Ok(512));
        assert_eq!(parse_memory("2gb"), Ok(1908));
        assert_eq!(parse_memory("2\tGiB"), Ok(2048));
    }

    #[test]
    fn a_unit_alone_means_one_of_it() {
        assert_eq!(parse_memory("MiB"), Ok(1));
        assert_eq!(parse_memory("GiB"), Ok(1024));
        assert_eq!(parse_memory("b"), Ok(1));
    }

    #[test]
    fn decimals_round_up() {
        assert_eq!(parse_memory("0.1"), Ok(1));
        assert_eq!(parse_memory(".5 GiB"), Ok(512));
        assert_eq!(parse_memory("1.0001 MiB"), Ok(2));
        assert_eq!(memory_from_float(1.5), Ok(2));
        assert_eq!(memory_from_float(2.0), Ok(2));
    }

    #[test]
    fn rejects_garbage_with_the_expected_form() {
        for text in [
            "12 XB",
            "",
            "  ",
            "lots",
            "1.2.3 MiB",
            "0x10",
            "inf",
            "nan",
            "1 MiB extra",
        ] {
            let err = parse_memory(text).unwrap_err();
            assert_eq!(err, MemoryError::Invalid(text.to_string()), "{text}");
        }
        assert_eq!(
            parse_memory("12 XB").unwrap_err().to_string(),
            "invalid memory '12 XB': expected a number with an optional unit such as '512 MiB' or '2 GB'"
        );
    }

    #[test]
    fn rejects_negative_and_huge() {
        assert_eq!(
            parse_memory("-5 GiB").unwrap_err().to_string(),
            "invalid memory '-5 GiB': memory must be positive"
        );
        assert_eq!(memory_from_int(-1), Err(MemoryError::Negative("-1".into())));
        assert_eq!(
            parse_memory("3 PiB"),
            Err(MemoryError::TooLarge("3 PiB".into()))
        );
        assert!(memory_from_int(i128::from(i32::MAX) + 1).is_err());
        assert_eq!(memory_from_int(i128::from(i32::MAX)), Ok(i32::MAX));
        assert!(memory_from_float(f64::INFINITY).is_err());
        assert!(memory_from_float(-0.5).is_ok_and(|m| m == 0));
    }
}
