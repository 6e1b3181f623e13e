//! The principals in a keytab file (MIT's format version 0x0502, which MIT krb5, Heimdal,
//! Java's ktab and Apache Kerby write), read so a keytab login can say "this keytab holds
//! keys for X and Y, not Z" before asking the KDC.
//!
//! Layout: `05 02`, then entries of a signed 32-bit big-endian size (negative: a hole of that
//! many bytes) followed by the principal (component count, realm, components, each a 16-bit
//! length and bytes; then the name type), a timestamp, key version and key.

/// Why a file is not a readable keytab.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum KeytabFormatError {
    /// The file does not start with a known version.
    #[error("not a keytab (first bytes {0:02x?}, expected 05 02)")]
    NotAKeytab(Vec<u8>),
    /// An entry runs past the end of the file.
    #[error("truncated keytab entry at byte {0}")]
    Truncated(usize),
}

/// The distinct principals (`a/b@REALM`) with keys in a keytab, in file order.
///
/// # Errors
/// When the bytes are not a version 0x0502 keytab or an entry is cut short.
pub(crate) fn principals(bytes: &[u8]) -> Result<Vec<String>, KeytabFormatError> {
    if bytes.len() < 2 || bytes[..2] != [0x05, 0x02] {
        return Err(KeytabFormatError::NotAKeytab(
            bytes[..bytes.len().min(2)].to_vec(),
        ));
    }
    let mut found: Vec<String> = Vec::new();
    let mut at = 2;
    while at + 4 <= bytes.len() {
        let size = i32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
        at += 4;
        if size == 0 {
            break;
        }
        let length = size.unsigned_abs() as usize;
        let end = at
            .checked_add(length)
            .filter(|&e| e <= bytes.len())
            .ok_or(KeytabFormatError::Truncated(at))?;
        if size > 0 {
            let principal =
                entry_principal(&bytes[at..end]).ok_or(KeytabFormatError::Truncated(at))?;
            if !found.contains(&principal) {
                found.push(principal);
            }
        }
        at = end;
    }
    Ok(found)
}

/// Whether `wanted` is among `principals`; a `wanted` without a realm matches any realm.
pub fn contains(principals: &[String], wanted: &str) -> bool {
    principals.iter().any(|p| {
        p == wanted
            || (!wanted.contains('@') && p.rsplit_once('@').is_some_and(|(name, _)| name == wanted))
    })
}

fn entry_principal(entry: &[u8]) -> Option<String> {
    let mut at = 0;
    let u16_at = |at: usize| -> Option<usize> {
        entry
            .get(at..at + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
    };
    let count = u16_at(at)?;
    at += 2;
    let text = |at: &mut usize| -> Option<String> {
        let n = u16_at(*at)?;
        let s = entry.get(*at + 2..*at + 2 + n)?;
        *at += 2 + n;
        Some(String::from_utf8_lossy(s).into_owned())
    };
    let realm = text(&mut at)?;
    let components: Vec<String> = (0..count).map(|_| text(&mut at)).collect::<Option<_>>()?;
    Some(format!("{}@{realm}", components.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One entry as MIT's ktutil writes it: principal, name type 1, timestamp, kvno 1, an
    /// aes256 key (type 18), and the 32-bit kvno.
    fn entry(components: &[&str], realm: &str) -> Vec<u8> {
        let mut e = Vec::new();
        e.extend_from_slice(&(components.len() as u16).to_be_bytes());
        for part in std::iter::once(realm).chain(components.iter().copied()) {
            e.extend_from_slice(&(part.len() as u16).to_be_bytes());
            e.extend_from_slice(part.as_bytes());
        }
        e.extend_from_slice(&1u32.to_be_bytes());
        e.extend_from_slice(&1_700_000_000u32.to_be_bytes());
        e.push(1);
        e.extend_from_slice(&18u16.to_be_bytes());
        e.extend_from_slice(&32u16.to_be_bytes());
        e.extend_from_slice(&[7; 32]);
        e.extend_from_slice(&1u32.to_be_bytes());
        let mut framed = (e.len() as i32).to_be_bytes().to_vec();
        framed.extend_from_slice(&e);
        framed
    }

    #[test]
    fn lists_principals_skipping_holes_and_duplicates() {
        let mut file = vec![0x05, 0x02];
        file.extend_from_slice(&entry(&["skein"], "EXAMPLE.COM"));
        file.extend_from_slice(&(-6i32).to_be_bytes());
        file.extend_from_slice(&[0; 6]);
        file.extend_from_slice(&entry(&["HTTP", "localhost"], "EXAMPLE.COM"));
        file.extend_from_slice(&entry(&["skein"], "EXAMPLE.COM"));
        let found = principals(&file).expect("keytab");
        assert_eq!(
            found,
            vec!["skein@EXAMPLE.COM", "HTTP/localhost@EXAMPLE.COM"]
        );
        assert!(contains(&found, "skein@EXAMPLE.COM"));
        assert!(contains(&found, "HTTP/localhost"));
        assert!(!contains(&found, "alice@EXAMPLE.COM"));
        assert!(!contains(&found, "skein@OTHER.ORG"));
    }

    #[test]
    fn other_files_are_errors() {
        assert!(matches!(
            principals(b"not a keytab"),
            Err(KeytabFormatError::NotAKeytab(_))
        ));
        let mut file = vec![0x05, 0x02];
        file.extend_from_slice(&entry(&["skein"], "EXAMPLE.COM"));
        file.truncate(file.len() - 5);
        assert_eq!(principals(&file), Err(KeytabFormatError::Truncated(6)));
        assert_eq!(principals(&[0x05, 0x02]), Ok(vec![]));
    }
}
