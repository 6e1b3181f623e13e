//! TFile reading on bytes: the vlong codec against Hadoop's documented encodings, files built
//! here the way Hadoop's writer lays them out, and corrupt or truncated input.

use super::*;

/// Hadoop's `Utils.writeVLong`, written from its documented ranges, to build test files.
pub(crate) fn write_vlong(out: &mut Vec<u8>, n: i64) {
    if (-32..128).contains(&n) {
        out.push(n as u8);
    } else if (-20 * 256..20 * 256).contains(&n) {
        out.push(((n >> 8) - 52) as u8);
        out.push(n as u8);
    } else if (-16 << 16..16 << 16).contains(&n) {
        out.push(((n >> 16) - 88) as u8);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if (-8 << 24..8 << 24).contains(&n) {
        out.push(((n >> 24) - 112) as u8);
        out.extend_from_slice(&((n >> 8) as u16).to_be_bytes());
        out.push(n as u8);
    } else {
        // The fewest bytes that hold n with its sign bit, at least 4.
        let len = (4..=8usize)
            .find(|&len| len == 8 || (n >> (len * 8 - 1)) == 0 || (n >> (len * 8 - 1)) == -1)
            .unwrap_or(8);
        out.push((len as i64 - 129) as u8);
        out.extend_from_slice(&n.to_be_bytes()[8 - len..]);
    }
}

fn write_string(out: &mut Vec<u8>, s: &str) {
    write_vlong(out, s.len() as i64);
    out.extend_from_slice(s.as_bytes());
}

/// A TFile as Hadoop's writer lays it out: data blocks, then meta blocks, the meta index and
/// the trailer. Each inner list is one data block; values are written in chunks of at most
/// `chunk` bytes (the last one with a non-negative length).
pub(crate) fn build_tfile(blocks: &[Vec<(Vec<u8>, Vec<u8>)>], chunk: usize) -> Vec<u8> {
    let mut file = Vec::new();
    let mut regions = Vec::new();
    for records in blocks {
        let start = file.len();
        for (key, value) in records {
            write_vlong(&mut file, key.len() as i64);
            file.extend_from_slice(key);
            let mut rest: &[u8] = value;
            while rest.len() > chunk {
                write_vlong(&mut file, -(chunk as i64));
                file.extend_from_slice(&rest[..chunk]);
                rest = &rest[chunk..];
            }
            write_vlong(&mut file, rest.len() as i64);
            file.extend_from_slice(rest);
        }
        regions.push((start, file.len() - start));
    }
    let index_start = file.len();
    write_string(&mut file, "none");
    write_vlong(&mut file, regions.len() as i64);
    for (start, len) in &regions {
        write_vlong(&mut file, *start as i64);
        write_vlong(&mut file, *len as i64);
        write_vlong(&mut file, *len as i64);
    }
    let index_len = file.len() - index_start;
    let meta_index_start = file.len();
    write_vlong(&mut file, 1);
    write_string(&mut file, "data:BCFile.index");
    write_string(&mut file, "none");
    write_vlong(&mut file, index_start as i64);
    write_vlong(&mut file, index_len as i64);
    write_vlong(&mut file, index_len as i64);
    file.extend_from_slice(&(meta_index_start as i64).to_be_bytes());
    file.extend_from_slice(&1i16.to_be_bytes());
    file.extend_from_slice(&0i16.to_be_bytes());
    file.extend_from_slice(&MAGIC);
    file
}

fn decode(bytes: &[u8]) -> Result<i64, TFileError> {
    let mut cursor = Cursor::new(bytes, 0);
    let n = cursor.vlong("test")?;
    assert!(cursor.is_empty(), "{bytes:?} left bytes unread");
    Ok(n)
}

#[test]
fn vlong_decodes_hadoops_documented_encodings() {
    assert_eq!(decode(&[0x00]), Ok(0));
    assert_eq!(decode(&[0x7f]), Ok(127));
    assert_eq!(decode(&[0xe0]), Ok(-32));
    // 128 = 2-byte form: byte[0] = 128/256 - 52 = -52.
    assert_eq!(decode(&[(-52i8) as u8, 0x80]), Ok(128));
    assert_eq!(decode(&[(-53i8) as u8, 0xdf]), Ok(-33));
    // 3-byte form: byte[0] = n/2^16 - 88.
    assert_eq!(decode(&[(-87i8) as u8, 0x00, 0x00]), Ok(65536));
    // 4-byte form: byte[0] = n/2^24 - 112.
    assert_eq!(decode(&[(-111i8) as u8, 0, 0, 0]), Ok(1 << 24));
    // 5-byte form: -125 then a big-endian int.
    assert_eq!(
        decode(&[(-125i8) as u8, 0x7f, 0xff, 0xff, 0xff]),
        Ok(0x7fff_ffff)
    );
    assert_eq!(decode(&[(-125i8) as u8, 0x80, 0, 0, 0]), Ok(-(1 << 31)));
    // 9-byte form: -121 then a big-endian long.
    let mut max = vec![(-121i8) as u8];
    max.extend_from_slice(&i64::MAX.to_be_bytes());
    assert_eq!(decode(&max), Ok(i64::MAX));
}

#[test]
fn vlong_round_trips_across_every_length() {
    let mut samples = vec![i64::MIN, i64::MAX, -1, 0, 1];
    for shift in 0..63 {
        let p = 1i64 << shift;
        samples.extend([p - 1, p, p + 1, -p - 1, -p, -p + 1]);
    }
    for n in samples {
        let mut bytes = Vec::new();
        write_vlong(&mut bytes, n);
        assert_eq!(decode(&bytes), Ok(n), "{n} encoded as {bytes:02x?}");
    }
}

#[test]
fn vlong_rejects_truncation_and_bad_lengths() {
    assert!(matches!(decode(&[]), Err(TFileError::Truncated { .. })));
    assert!(matches!(
        decode(&[(-52i8) as u8]),
        Err(TFileError::Truncated { .. })
    ));
    assert!(matches!(
        decode(&[(-121i8) as u8, 1, 2]),
        Err(TFileError::Truncated { .. })
    ));
    // First bytes -128..-126 would mean 1 to 3 trailing bytes, which the writer never uses.
    for first in [-128i8, -127, -126] {
        assert!(
            matches!(
                decode(&[first as u8, 0, 0, 0]),
                Err(TFileError::Corrupt { .. })
            ),
            "{first}"
        );
    }
}

#[test]
fn records_come_back_in_order_across_blocks_and_chunks() {
    let big: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    let file = build_tfile(
        &[
            vec![
                (b"first".to_vec(), b"one".to_vec()),
                (b"second".to_vec(), Vec::new()),
            ],
            vec![(b"third".to_vec(), big.clone())],
        ],
        4096,
    );
    let records = read_records(&file).expect("a valid file");
    let got: Vec<(&[u8], &[u8])> = records
        .iter()
        .map(|r| (r.key.as_slice(), r.value.as_slice()))
        .collect();
    assert_eq!(
        got,
        vec![
            (&b"first"[..], &b"one"[..]),
            (&b"second"[..], &b""[..]),
            (&b"third"[..], big.as_slice()),
        ]
    );
}

#[test]
fn an_empty_tfile_has_no_records() {
    assert_eq!(read_records(&build_tfile(&[], 16)), Ok(Vec::new()));
}

#[test]
fn wrong_magic_version_or_codec_is_named() {
    let file = build_tfile(&[vec![(b"k".to_vec(), b"v".to_vec())]], 16);
    let mut bad_magic = file.clone();
    let last = bad_magic.len() - 1;
    bad_magic[last] ^= 0xff;
    assert_eq!(read_records(&bad_magic), Err(TFileError::BadMagic));

    let mut bad_version = file.clone();
    let at = bad_version.len() - 20;
    bad_version[at..at + 2].copy_from_slice(&2i16.to_be_bytes());
    assert!(matches!(
        read_records(&bad_version),
        Err(TFileError::UnsupportedVersion { major: 2, .. })
    ));

    // Codec names are length-prefixed: patch one in place with another 4-byte name.
    let mut compressed = file.clone();
    let pos = compressed
        .windows(5)
        .position(|w| w == b"\x04none")
        .expect("the codec name");
    compressed[pos + 1..pos + 5].copy_from_slice(b"lzo!");
    assert_eq!(
        read_records(&compressed),
        Err(TFileError::UnsupportedCompression("lzo!".into()))
    );
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    let file = build_tfile(
        &[vec![
            (b"key".to_vec(), vec![7u8; 300]),
            (b"other".to_vec(), b"v".to_vec()),
        ]],
        100,
    );
    for len in 0..file.len() {
        assert!(read_records(&file[..len]).is_err(), "cut at {len}");
    }
}

#[test]
fn garbage_never_panics() {
    let file = build_tfile(&[vec![(b"key".to_vec(), vec![1u8; 200])]], 64);
    // Flip every byte in turn, then every byte to each of a few values: whatever the reader
    // says, it must say it without panicking, and never return more bytes than the file holds.
    for i in 0..file.len() {
        for v in [0x00, 0x7f, 0x80, 0x87, 0xff, file[i] ^ 0xff] {
            let mut bad = file.clone();
            bad[i] = v;
            if let Ok(records) = read_records(&bad) {
                let total: usize = records.iter().map(|r| r.key.len() + r.value.len()).sum();
                assert!(total <= bad.len());
            }
        }
    }
    // A pseudo-random stream ending in a valid trailer that points into it.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..200 {
        let mut bytes: Vec<u8> = (0..256)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        bytes.extend_from_slice(&((seed % 256) as i64).to_be_bytes());
        bytes.extend_from_slice(&[0, 1, 0, 0]);
        bytes.extend_from_slice(&MAGIC);
        let _ = read_records(&bytes);
    }
}

#[test]
fn lengths_larger_than_the_file_are_refused_before_allocating() {
    // A record claiming a 2^40-byte value chunk.
    let mut block = Vec::new();
    write_vlong(&mut block, 1);
    block.push(b'k');
    write_vlong(&mut block, 1 << 30);
    let mut file = build_tfile(&[], 16);
    // Put the block in front and point a one-block index at it.
    let mut built = block.clone();
    let index_start = built.len();
    write_string(&mut built, "none");
    write_vlong(&mut built, 1);
    write_vlong(&mut built, 0);
    write_vlong(&mut built, block.len() as i64);
    write_vlong(&mut built, block.len() as i64);
    let index_len = built.len() - index_start;
    let meta_start = built.len();
    write_vlong(&mut built, 1);
    write_string(&mut built, "data:BCFile.index");
    write_string(&mut built, "none");
    write_vlong(&mut built, index_start as i64);
    write_vlong(&mut built, index_len as i64);
    write_vlong(&mut built, index_len as i64);
    built.extend_from_slice(&(meta_start as i64).to_be_bytes());
    built.extend_from_slice(&file.split_off(file.len() - 20));
    match read_records(&built) {
        Err(TFileError::Truncated { needed, .. }) => assert_eq!(needed, 1 << 30),
        other => panic!("{other:?}"),
    }
}

fn zlib(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("in memory");
    encoder.finish().expect("in memory")
}

#[test]
fn gz_blocks_may_hold_several_zlib_streams() {
    let mut stored = zlib(b"first part, ");
    stored.extend(zlib(b"second part"));
    assert_eq!(
        inflate(&stored, 23, 0, "test").as_deref(),
        Ok(&b"first part, second part"[..])
    );
}

#[test]
fn gz_blocks_must_inflate_to_their_declared_size() {
    let stored = zlib(&[b'x'; 10_000]);
    assert!(inflate(&stored, 10_000, 0, "test").is_ok());
    for wrong in [9_999, 10_001] {
        assert!(
            matches!(
                inflate(&stored, wrong, 0, "t"),
                Err(TFileError::Corrupt { .. })
            ),
            "{wrong}"
        );
    }
    // A size no deflate stream of this length can produce is refused before inflating.
    assert!(matches!(
        inflate(&stored, 1 << 40, 0, "t"),
        Err(TFileError::Corrupt { .. })
    ));
    assert!(inflate(&stored[..stored.len() / 2], 10_000, 0, "t").is_err());
    assert!(inflate(b"not zlib at all", 10, 0, "t").is_err());
}
