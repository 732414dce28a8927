//! The records cloud-kv keeps in a backend: a version byte, then the bytes of one text or one
//! JSON document. One place decodes them, so every kind reports damage the same way.

use serde::{de::DeserializeOwned, Serialize};
use storage_core::{Error, Result};

/// The first byte of every record (a record that is only this byte marks presence).
pub(crate) const V1: u8 = 1;

/// A record holding `bytes`.
pub(crate) fn raw(bytes: &[u8]) -> Vec<u8> {
    let mut record = Vec::with_capacity(bytes.len() + 1);
    record.push(V1);
    record.extend_from_slice(bytes);
    record
}

/// A record holding `value` as JSON.
pub(crate) fn json<T: Serialize>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut record = vec![V1];
    serde_json::to_writer(&mut record, value)?;
    Ok(record)
}

/// The text in a record of `what`.
pub(crate) fn text(record: &[u8], what: &str) -> Result<String> {
    String::from_utf8(body(record, what)?.to_vec())
        .map_err(|_| Error::Corrupt(format!("{what} is not UTF-8")))
}

/// The JSON document in a record of `what`.
pub(crate) fn from_json<T: DeserializeOwned>(record: &[u8], what: &str) -> Result<T> {
    serde_json::from_slice(body(record, what)?).map_err(|e| Error::Corrupt(format!("{what}: {e}")))
}

fn body<'a>(record: &'a [u8], what: &str) -> Result<&'a [u8]> {
    match record.split_first() {
        Some((&V1, body)) => Ok(body),
        _ => Err(Error::Corrupt(format!("unknown {what} record format"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_damage_is_corrupt() {
        assert_eq!(text(&raw(b"abc"), "t").unwrap(), "abc");
        assert_eq!(
            from_json::<Vec<u8>>(&json(&vec![1u8, 2]).unwrap(), "j").unwrap(),
            [1, 2]
        );
        for (record, message) in [
            (&b""[..], "unknown t record format"),
            (&[2, b'a'][..], "unknown t record format"),
            (&[V1, 0xff][..], "t is not UTF-8"),
        ] {
            assert_eq!(text(record, "t"), Err(Error::Corrupt(message.into())));
        }
        assert!(
            matches!(from_json::<u8>(&raw(b"{"), "j"), Err(Error::Corrupt(m)) if m.starts_with("j: "))
        );
    }
}
