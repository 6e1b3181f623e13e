//! Hadoop's `Writable` primitives that tokens and token files are made of: `WritableUtils`
//! variable-length integers (VInt/VLong) and `Text` (a VInt length, then UTF-8 bytes).
//!
//! The encoding stores -112..=127 in one byte; otherwise a first byte gives the sign and the
//! number of big-endian bytes that follow (negative numbers are stored as their one's
//! complement). Everything here is pure and never panics on input.

/// Why Writable bytes could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WritableError {
    /// The input ended inside a value.
    #[error("truncated {what}: {needed} more bytes expected, {left} left")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        needed: usize,
        /// Bytes left.
        left: usize,
    },
    /// A VInt holds a value outside `i32` (Hadoop's "value too long to fit in integer").
    #[error("{what}: variable-length integer {value} does not fit in 32 bits")]
    IntTooLong {
        /// What was being read.
        what: &'static str,
        /// The value read.
        value: i64,
    },
    /// A length is negative.
    #[error("{what}: negative length {length}")]
    NegativeLength {
        /// What was being read.
        what: &'static str,
        /// The length read.
        length: i64,
    },
    /// A `Text` is not UTF-8.
    #[error("{what} is not UTF-8")]
    NotUtf8 {
        /// What was being read.
        what: &'static str,
    },
}

/// Appends `value` in `WritableUtils.writeVLong` encoding (1 to 9 bytes).
pub(crate) fn write_vlong(out: &mut Vec<u8>, value: i64) {
    if (-112..=127).contains(&value) {
        out.push(value as u8);
        return;
    }
    let (magnitude, mut first) = if value < 0 {
        (!value, -120i32)
    } else {
        (value, -112i32)
    };
    let bytes = 8 - (magnitude.leading_zeros() as usize) / 8;
    first -= bytes as i32;
    out.push(first as i8 as u8);
    out.extend_from_slice(&magnitude.to_be_bytes()[8 - bytes..]);
}

/// Appends `value` in `WritableUtils.writeVInt` encoding (the VLong encoding of an `i32`).
pub(crate) fn write_vint(out: &mut Vec<u8>, value: i32) {
    write_vlong(out, i64::from(value));
}

/// Appends a length-prefixed byte string (VInt length, then the bytes), as `Token` writes its
/// identifier and password.
pub fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_vint(out, i32::try_from(bytes.len()).unwrap_or(i32::MAX));
    out.extend_from_slice(bytes);
}

/// Appends a Hadoop `Text`.
pub(crate) fn write_text(out: &mut Vec<u8>, text: &str) {
    write_bytes(out, text.as_bytes());
}

/// A cursor over Writable bytes.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Reads from the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> &'a [u8] {
        self.bytes
    }

    /// Takes `n` raw bytes.
    ///
    /// # Errors
    /// [`WritableError::Truncated`] when fewer are left.
    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], WritableError> {
        if n > self.bytes.len() {
            return Err(WritableError::Truncated {
                what,
                needed: n,
                left: self.bytes.len(),
            });
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    /// Reads one byte.
    ///
    /// # Errors
    /// [`WritableError::Truncated`] at the end of the input.
    pub fn byte(&mut self, what: &'static str) -> Result<u8, WritableError> {
        Ok(self.take(1, what)?[0])
    }

    /// Reads a `WritableUtils` VLong.
    ///
    /// # Errors
    /// [`WritableError::Truncated`] when the input ends inside the number.
    pub(crate) fn vlong(&mut self, what: &'static str) -> Result<i64, WritableError> {
        let first = self.byte(what)? as i8;
        let size = vint_size(first);
        if size == 1 {
            return Ok(i64::from(first));
        }
        let mut value = 0i64;
        for &b in self.take(size - 1, what)? {
            value = (value << 8) | i64::from(b);
        }
        Ok(if first < -120 || (-112..0).contains(&first) {
            !value
        } else {
            value
        })
    }

    /// Reads a `WritableUtils` VInt.
    ///
    /// # Errors
    /// As [`Self::vlong`], and [`WritableError::IntTooLong`] outside `i32`.
    pub(crate) fn vint(&mut self, what: &'static str) -> Result<i32, WritableError> {
        let value = self.vlong(what)?;
        i32::try_from(value).map_err(|_| WritableError::IntTooLong { what, value })
    }

    /// Reads a VInt-prefixed byte string.
    ///
    /// # Errors
    /// When the length is negative or longer than the input.
    pub fn bytes(&mut self, what: &'static str) -> Result<&'a [u8], WritableError> {
        let length = self.vint(what)?;
        let n = usize::try_from(length).map_err(|_| WritableError::NegativeLength {
            what,
            length: i64::from(length),
        })?;
        self.take(n, what)
    }

    /// Reads a Hadoop `Text`.
    ///
    /// # Errors
    /// As [`Self::bytes`], and [`WritableError::NotUtf8`].
    pub fn text(&mut self, what: &'static str) -> Result<String, WritableError> {
        let bytes = self.bytes(what)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| WritableError::NotUtf8 { what })
    }
}

/// `WritableUtils.decodeVIntSize`: the total size of a VLong from its first byte.
fn vint_size(first: i8) -> usize {
    if first >= -112 {
        1
    } else if first < -120 {
        (-119 - i32::from(first)) as usize
    } else {
        (-111 - i32::from(first)) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(value: i64) -> Vec<u8> {
        let mut out = Vec::new();
        write_vlong(&mut out, value);
        out
    }

    /// Byte strings worked out by hand from `WritableUtils.writeVLong`.
    #[test]
    fn vlong_matches_hadoop_encoding() {
        let vectors: &[(i64, &[u8])] = &[
            (0, &[0x00]),
            (1, &[0x01]),
            (127, &[0x7f]),
            (-1, &[0xff]),
            (-112, &[0x90]),
            (128, &[0x8f, 0x80]),
            (255, &[0x8f, 0xff]),
            (256, &[0x8e, 0x01, 0x00]),
            (-113, &[0x87, 0x70]),
            (-256, &[0x87, 0xff]),
            (-257, &[0x86, 0x01, 0x00]),
            (
                1_700_000_000_000,
                &[0x8a, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x00],
            ),
            (
                i64::MAX,
                &[0x88, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            ),
            (
                i64::MIN,
                &[0x80, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            ),
        ];
        for &(value, bytes) in vectors {
            assert_eq!(encoded(value), bytes, "encoding {value}");
            let mut reader = Reader::new(bytes);
            assert_eq!(reader.vlong("v"), Ok(value), "decoding {bytes:02x?}");
            assert!(reader.remaining().is_empty());
        }
    }

    #[test]
    fn vlong_round_trips_around_every_size_boundary() {
        for shift in 0..63 {
            for base in [1i64 << shift, -(1i64 << shift)] {
                for value in [base - 1, base, base + 1] {
                    let bytes = encoded(value);
                    assert_eq!(Reader::new(&bytes).vlong("v"), Ok(value), "{value}");
                }
            }
        }
    }

    #[test]
    fn vint_refuses_values_beyond_32_bits() {
        let bytes = encoded(i64::from(i32::MAX) + 1);
        assert_eq!(
            Reader::new(&bytes).vint("length"),
            Err(WritableError::IntTooLong {
                what: "length",
                value: i64::from(i32::MAX) + 1
            })
        );
        let bytes = encoded(i64::from(i32::MIN));
        assert_eq!(Reader::new(&bytes).vint("n"), Ok(i32::MIN));
    }

    #[test]
    fn truncated_and_negative_lengths_are_errors_not_panics() {
        assert!(matches!(
            Reader::new(&[0x8e, 0x01]).vlong("v"),
            Err(WritableError::Truncated {
                needed: 2,
                left: 1,
                ..
            })
        ));
        assert!(matches!(
            Reader::new(&[]).vlong("v"),
            Err(WritableError::Truncated { .. })
        ));
        assert!(matches!(
            Reader::new(&[0xff]).bytes("identifier"),
            Err(WritableError::NegativeLength { length: -1, .. })
        ));
        assert!(matches!(
            Reader::new(&[0x05, b'a']).text("kind"),
            Err(WritableError::Truncated {
                needed: 5,
                left: 1,
                ..
            })
        ));
        assert_eq!(
            Reader::new(&[0x01, 0xff]).text("kind"),
            Err(WritableError::NotUtf8 { what: "kind" })
        );
    }

    #[test]
    fn text_round_trips() {
        let mut out = Vec::new();
        write_text(&mut out, "HDFS_DELEGATION_TOKEN");
        write_text(&mut out, "");
        assert_eq!(out[0], 21);
        let mut reader = Reader::new(&out);
        assert_eq!(reader.text("kind").as_deref(), Ok("HDFS_DELEGATION_TOKEN"));
        assert_eq!(reader.text("service").as_deref(), Ok(""));
    }
}
