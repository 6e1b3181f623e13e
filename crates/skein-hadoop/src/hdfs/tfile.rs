//! Hadoop's TFile container (`org.apache.hadoop.io.file.tfile`), read from bytes in memory: the
//! format YARN's default log aggregation controller writes one file per node in.
//!
//! A TFile is a BCFile: data blocks, meta blocks, a meta index and a fixed trailer
//! (`offset of the meta index: i64`, `version: 2 × i16`, a 16-byte magic). The meta block
//! `BCFile.index` lists the data blocks; each data block holds records `vint key length, key,
//! value` where the value is a sequence of chunks, each prefixed by a vint whose sign says
//! whether more chunks follow. Integers use TFile's own variable-length encoding
//! ([`read_vlong`]), not Hadoop's `WritableUtils` one.
//!
//! Codecs (`yarn.nodemanager.log-aggregation.compression-type`): `none` (YARN's default) and
//! `gz` (Hadoop's `DefaultCodec`: zlib streams, possibly several back to back in one block);
//! `lzo` and others are reported by name. Every length read from the file is checked against the
//! bytes that are really there before use, and decompression stops at the size the index
//! declares, so a corrupt or truncated file gives a [`TFileError`], never a panic or an
//! allocation out of proportion with the file.

use std::borrow::Cow;

/// The 16 bytes that end every BCFile (before nothing: they are the last bytes).
const MAGIC: [u8; 16] = [
    0xd1, 0x11, 0xd3, 0x68, 0x91, 0xb5, 0xd7, 0xb6, 0x39, 0xdf, 0x41, 0x40, 0x92, 0xba, 0xe1, 0x50,
];

/// Trailer size: meta index offset (8) + version (4) + magic (16).
const TRAILER_LEN: usize = 8 + 4 + MAGIC.len();

/// The BCFile major version this reader understands (Hadoop has only ever written 1.x).
const BCFILE_MAJOR: i16 = 1;

/// The meta block listing the data blocks.
const DATA_INDEX_NAME: &str = "BCFile.index";

/// Meta block names are stored with this prefix.
const META_NAME_PREFIX: &str = "data:";

/// Why a TFile could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TFileError {
    /// The bytes end before a structure that must be there.
    #[error("truncated: {what} at byte {offset} needs {needed} bytes, {available} left")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Where it starts.
        offset: usize,
        /// How many bytes it needs.
        needed: u64,
        /// How many are left in its region.
        available: usize,
    },
    /// The trailer does not end with the BCFile magic: not a TFile.
    #[error("not a TFile: the last 16 bytes are not the BCFile magic")]
    BadMagic,
    /// A BCFile major version this reader does not know.
    #[error("unsupported BCFile version {major}.{minor} (only 1.x is known)")]
    UnsupportedVersion {
        /// Major version.
        major: i16,
        /// Minor version.
        minor: i16,
    },
    /// A number or region that cannot be right (negative length, offset outside the file, ...).
    #[error("corrupt {what} at byte {offset}: {detail}")]
    Corrupt {
        /// What was being read.
        what: &'static str,
        /// Where.
        offset: usize,
        /// The inconsistency.
        detail: String,
    },
    /// The meta index has no `BCFile.index` entry.
    #[error("the meta index has no {DATA_INDEX_NAME} block")]
    NoDataIndex,
    /// Blocks are compressed with a codec this reader does not implement.
    #[error(
        "blocks are compressed with {0:?}; supported are \"none\" and \"gz\" \
         (yarn.nodemanager.log-aggregation.compression-type)"
    )]
    UnsupportedCompression(String),
}

/// A position in a byte region, with reads that check the remaining length first.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    /// Offset of `bytes[0]` in the file, so that errors give file positions.
    base: usize,
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor over `bytes`, which start at byte `base` of the file.
    pub fn new(bytes: &'a [u8], base: usize) -> Self {
        Cursor {
            bytes,
            base,
            pos: 0,
        }
    }

    /// True when every byte was read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// The file offset of the next byte.
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// The next `n` bytes; checked against what is left, so a corrupt length allocates nothing.
    pub fn take(&mut self, n: u64, what: &'static str) -> Result<&'a [u8], TFileError> {
        let available = self.remaining();
        match usize::try_from(n) {
            Ok(len) if len <= available => {
                let start = self.pos;
                self.pos += len;
                Ok(&self.bytes[start..start + len])
            }
            _ => Err(TFileError::Truncated {
                what,
                offset: self.offset(),
                needed: n,
                available,
            }),
        }
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], TFileError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N as u64, what)?);
        Ok(out)
    }

    /// A big-endian unsigned 16-bit integer (Java `readUnsignedShort`).
    pub fn u16(&mut self, what: &'static str) -> Result<u16, TFileError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    /// A big-endian signed 16-bit integer (Java `readShort`).
    pub(crate) fn i16(&mut self, what: &'static str) -> Result<i16, TFileError> {
        Ok(i16::from_be_bytes(self.array(what)?))
    }

    /// A big-endian signed 64-bit integer (Java `readLong`).
    pub fn i64(&mut self, what: &'static str) -> Result<i64, TFileError> {
        Ok(i64::from_be_bytes(self.array(what)?))
    }

    /// A TFile vlong (see [`read_vlong`]).
    pub(crate) fn vlong(&mut self, what: &'static str) -> Result<i64, TFileError> {
        read_vlong(self, what)
    }

    /// A TFile vint: a vlong that must fit an `i32`, as `Utils.readVInt` requires.
    pub(crate) fn vint(&mut self, what: &'static str) -> Result<i32, TFileError> {
        let offset = self.offset();
        let n = self.vlong(what)?;
        i32::try_from(n).map_err(|_| corrupt(what, offset, format!("{n} does not fit an int")))
    }

    /// A TFile string: vint length, then UTF-8 bytes (`Utils.readString`).
    pub fn string(&mut self, what: &'static str) -> Result<String, TFileError> {
        let offset = self.offset();
        let len = self.vint(what)?;
        let len = u64::try_from(len)
            .map_err(|_| corrupt(what, offset, format!("negative string length {len}")))?;
        let bytes = self.take(len, what)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| corrupt(what, offset, "the string is not UTF-8".into()))
    }
}

fn corrupt(what: &'static str, offset: usize, detail: String) -> TFileError {
    TFileError::Corrupt {
        what,
        offset,
        detail,
    }
}

/// Reads one TFile variable-length integer (`org.apache.hadoop.io.file.tfile.Utils.readVLong`).
///
/// The first byte `fb` (signed) decides: `fb >= -32` is the value itself; `[-72, -33]` adds one
/// more byte, `[-104, -73]` two, `[-120, -105]` three, each with the high bits taken from `fb`
/// minus a bias; `[-128, -121]` is followed by `fb + 129` (4 to 8) bytes of a big-endian signed
/// integer.
pub(crate) fn read_vlong(cursor: &mut Cursor<'_>, what: &'static str) -> Result<i64, TFileError> {
    let offset = cursor.offset();
    let first = i64::from(cursor.take(1, what)?[0] as i8);
    if first >= -32 {
        return Ok(first);
    }
    let value = match first {
        -72..=-33 => ((first + 52) << 8) | i64::from(cursor.take(1, what)?[0]),
        -104..=-73 => ((first + 88) << 16) | i64::from(cursor.u16(what)?),
        -120..=-105 => {
            let high = i64::from(cursor.u16(what)?);
            let low = i64::from(cursor.take(1, what)?[0]);
            ((first + 112) << 24) | (high << 8) | low
        }
        _ => {
            let len = first + 129;
            if !(4..=8).contains(&len) {
                return Err(corrupt(what, offset, format!("vlong of {len} bytes")));
            }
            // A big-endian signed integer of `len` bytes: sign-extend from its first byte.
            let bytes = cursor.take(len as u64, what)?;
            let mut n = i64::from(bytes[0] as i8);
            for b in &bytes[1..] {
                n = (n << 8) | i64::from(*b);
            }
            n
        }
    };
    Ok(value)
}

/// Where a block lies in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockRegion {
    /// Offset of the block's first byte.
    pub offset: u64,
    /// Stored (compressed) size.
    pub compressed_size: u64,
    /// Size once decompressed.
    pub raw_size: u64,
}

impl BlockRegion {
    fn read(cursor: &mut Cursor<'_>, what: &'static str) -> Result<Self, TFileError> {
        let offset = cursor.offset();
        let field = |cursor: &mut Cursor<'_>| {
            let n = cursor.vlong(what)?;
            u64::try_from(n).map_err(|_| corrupt(what, offset, format!("negative value {n}")))
        };
        Ok(BlockRegion {
            offset: field(cursor)?,
            compressed_size: field(cursor)?,
            raw_size: field(cursor)?,
        })
    }

    /// The block's bytes, checked to lie before the trailer, and decompressed.
    fn contents<'a>(
        &self,
        file: &'a [u8],
        codec: Codec,
        what: &'static str,
    ) -> Result<(Cow<'a, [u8]>, usize), TFileError> {
        let body_end = file.len() - TRAILER_LEN;
        let end = self.offset.checked_add(self.compressed_size);
        match end {
            Some(end) if end <= body_end as u64 => {
                // Both fit in usize: they are at most the file length.
                let (start, end) = (self.offset as usize, end as usize);
                let stored = &file[start..end];
                let bytes = match codec {
                    Codec::None if self.raw_size == self.compressed_size => Cow::Borrowed(stored),
                    Codec::None => {
                        return Err(corrupt(
                            what,
                            start,
                            format!(
                                "uncompressed block of {} bytes claims a raw size of {}",
                                self.compressed_size, self.raw_size
                            ),
                        ));
                    }
                    Codec::Gz => Cow::Owned(inflate(stored, self.raw_size, start, what)?),
                };
                Ok((bytes, start))
            }
            _ => Err(corrupt(
                what,
                body_end,
                format!(
                    "block [{}, +{}) lies outside the {body_end} bytes before the trailer",
                    self.offset, self.compressed_size
                ),
            )),
        }
    }
}

/// The block codecs of Hadoop's `Compression.Algorithm` that this reader implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    None,
    Gz,
}

impl Codec {
    fn by_name(name: &str) -> Result<Self, TFileError> {
        match name {
            "none" => Ok(Codec::None),
            "gz" => Ok(Codec::Gz),
            other => Err(TFileError::UnsupportedCompression(other.to_string())),
        }
    }
}

/// Deflate cannot compress better than about 1032:1, so a block declaring a larger raw size
/// than that is corrupt: refusing it bounds memory by the file's size.
const MAX_DEFLATE_RATIO: u64 = 1032;

/// Inflates a `gz` block: Hadoop's `DefaultCodec` writes zlib streams, and finishes one at
/// every flush, so a block may hold several back to back. Output stops at `raw_size`.
fn inflate(
    stored: &[u8],
    raw_size: u64,
    offset: usize,
    what: &'static str,
) -> Result<Vec<u8>, TFileError> {
    if raw_size > (stored.len() as u64 + 64).saturating_mul(MAX_DEFLATE_RATIO) {
        return Err(corrupt(
            what,
            offset,
            format!(
                "{} compressed bytes cannot hold the declared {raw_size}",
                stored.len()
            ),
        ));
    }
    // raw_size is now bounded by the file size, but grow on demand all the same.
    let mut out: Vec<u8> = Vec::new();
    let mut pos = 0;
    while pos < stored.len() && (out.len() as u64) < raw_size {
        let mut stream = flate2::Decompress::new(true);
        loop {
            let room = (raw_size - out.len() as u64).min(1 << 16) as usize;
            out.reserve_exact(room.max(1));
            let (in_before, out_before) = (stream.total_in(), stream.total_out());
            let input = &stored[pos + stream.total_in() as usize..];
            let status = stream
                .decompress_vec(input, &mut out, flate2::FlushDecompress::None)
                .map_err(|e| corrupt(what, offset, format!("zlib: {e}")))?;
            if out.len() as u64 > raw_size {
                break;
            }
            if status == flate2::Status::StreamEnd {
                break;
            }
            if stream.total_in() == in_before && stream.total_out() == out_before {
                return Err(corrupt(what, offset, "the zlib stream is cut short".into()));
            }
        }
        pos += stream.total_in() as usize;
    }
    if out.len() as u64 != raw_size {
        return Err(corrupt(
            what,
            offset,
            format!(
                "decompressed to {}+ bytes, the index declares {raw_size}",
                out.len()
            ),
        ));
    }
    Ok(out)
}

/// One key-value record of a TFile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// The key bytes.
    pub key: Vec<u8>,
    /// The value bytes, its chunks joined.
    pub value: Vec<u8>,
}

/// Reads every record of a TFile held in `file`, in file order.
///
/// # Errors
/// [`TFileError`] when the bytes are not a TFile in a supported codec, or are cut short.
pub(crate) fn read_records(file: &[u8]) -> Result<Vec<Record>, TFileError> {
    let (codec, data_blocks) = read_data_index(file)?;
    let mut records = Vec::new();
    for region in data_blocks {
        let (bytes, offset) = region.contents(file, codec, "data block")?;
        let mut block = Cursor::new(&bytes, offset);
        while !block.is_empty() {
            records.push(read_record(&mut block)?);
        }
    }
    Ok(records)
}

fn read_record(block: &mut Cursor<'_>) -> Result<Record, TFileError> {
    let offset = block.offset();
    let key_len = block.vint("record key length")?;
    let key_len = u64::try_from(key_len)
        .map_err(|_| corrupt("record key", offset, format!("negative length {key_len}")))?;
    let key = block.take(key_len, "record key")?.to_vec();
    // Values are chunked (`Chunk.ChunkEncoder`): a negative length -n means "n bytes, more
    // chunks follow", a non-negative one is the last chunk.
    let mut value = Vec::new();
    loop {
        let n = i64::from(block.vint("value chunk length")?);
        let chunk = block.take(n.unsigned_abs(), "value chunk")?;
        value.extend_from_slice(chunk);
        if n >= 0 {
            break;
        }
    }
    Ok(Record { key, value })
}

/// Checks the trailer and returns the data blocks listed in `BCFile.index`, and their codec.
fn read_data_index(file: &[u8]) -> Result<(Codec, Vec<BlockRegion>), TFileError> {
    if file.len() < TRAILER_LEN {
        return Err(TFileError::Truncated {
            what: "BCFile trailer",
            offset: 0,
            needed: TRAILER_LEN as u64,
            available: file.len(),
        });
    }
    let body_end = file.len() - TRAILER_LEN;
    let mut trailer = Cursor::new(&file[body_end..], body_end);
    let meta_index_offset = trailer.i64("meta index offset")?;
    let major = trailer.i16("BCFile version")?;
    let minor = trailer.i16("BCFile version")?;
    if trailer.take(MAGIC.len() as u64, "BCFile magic")? != MAGIC {
        return Err(TFileError::BadMagic);
    }
    if major != BCFILE_MAJOR {
        return Err(TFileError::UnsupportedVersion { major, minor });
    }
    let meta_index_start = usize::try_from(meta_index_offset)
        .ok()
        .filter(|&o| o <= body_end)
        .ok_or_else(|| {
            corrupt(
                "meta index offset",
                body_end,
                format!("{meta_index_offset} is outside the file"),
            )
        })?;
    let mut meta_index = Cursor::new(&file[meta_index_start..body_end], meta_index_start);
    let offset = meta_index.offset();
    let count = meta_index.vint("meta index entry count")?;
    if count < 0 {
        return Err(corrupt(
            "meta index",
            offset,
            format!("negative entry count {count}"),
        ));
    }
    let mut data_index = None;
    // No allocation from `count`: each entry is read from bytes that must exist.
    for _ in 0..count {
        let offset = meta_index.offset();
        let name = meta_index.string("meta block name")?;
        let name = name.strip_prefix(META_NAME_PREFIX).ok_or_else(|| {
            corrupt(
                "meta block name",
                offset,
                format!("{name:?} lacks the {META_NAME_PREFIX:?} prefix"),
            )
        })?;
        let compression = meta_index.string("meta block compression")?;
        let region = BlockRegion::read(&mut meta_index, "meta block region")?;
        if name == DATA_INDEX_NAME {
            data_index = Some((compression, region));
        }
    }
    let (compression, region) = data_index.ok_or(TFileError::NoDataIndex)?;
    let (index_bytes, index_offset) =
        region.contents(file, Codec::by_name(&compression)?, "data index")?;
    let mut index = Cursor::new(&index_bytes, index_offset);
    let codec = Codec::by_name(&index.string("data block compression")?)?;
    let offset = index.offset();
    let count = index.vint("data block count")?;
    if count < 0 {
        return Err(corrupt(
            "data index",
            offset,
            format!("negative block count {count}"),
        ));
    }
    let mut regions = Vec::new();
    for _ in 0..count {
        regions.push(BlockRegion::read(&mut index, "data block region")?);
    }
    Ok((codec, regions))
}

#[cfg(test)]
#[path = "tfile_tests.rs"]
pub(crate) mod tests;
