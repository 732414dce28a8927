//! WeChat's open data: what the client hands a game (`encryptedData`, `iv`) sealed so that only
//! the game's server, holding the player's session key, reads it.
//!
//! The algorithm is the platform's documented one: AES-128-CBC with PKCS#7 padding, the key the
//! base64-decoded `session_key` (16 bytes), the iv 16 random bytes; `encryptedData` and `iv`
//! travel as base64. The plaintext is JSON whose `watermark` `{appid, timestamp}` lets the server
//! check which game sealed it, and when.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
#[cfg(feature = "open-data")]
use cbc::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use storage_core::{CloudRule, Error, Result};

/// A sealed result: both fields base64, as the platform hands them to the game.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The ciphertext.
    pub encrypted_data: String,
    /// The 16-byte initialisation vector.
    pub iv: String,
}

/// The AES key a session key stands for: base64 of exactly 16 bytes, or
/// [`CloudRule::NoSessionKey`].
fn aes_key(session_key: &str) -> Result<[u8; 16]> {
    let bytes = STANDARD
        .decode(session_key)
        .map_err(|_| CloudRule::NoSessionKey)?;
    bytes
        .try_into()
        .map_err(|_: Vec<u8>| CloudRule::NoSessionKey.into())
}

/// Seals `plaintext` under `session_key` with a fresh random iv.
///
/// ```
/// let key = "tiihtNczf5v6AKRyjwEUhQ=="; // base64 of 16 bytes
/// let sealed = cloud_kv::seal(key, br#"{"a":1}"#).unwrap();
/// assert_eq!(cloud_kv::open_sealed(key, &sealed.encrypted_data, &sealed.iv).unwrap(), br#"{"a":1}"#);
/// // A key that is not base64 of 16 bytes seals nothing.
/// assert!(cloud_kv::seal("session-key", b"{}").is_err());
/// ```
pub fn seal(session_key: &str, plaintext: &[u8]) -> Result<Sealed> {
    let mut iv = [0u8; 16];
    getrandom::fill(&mut iv).map_err(|e| Error::Backend(format!("no randomness: {e}")))?;
    seal_with_iv(session_key, &iv, plaintext)
}

/// [`seal`] with a given iv (tests compare against known answers). Without the `open-data`
/// feature, every call fails with [`Error::Backend`].
pub fn seal_with_iv(session_key: &str, iv: &[u8; 16], plaintext: &[u8]) -> Result<Sealed> {
    let key = aes_key(session_key)?;
    let sealed = encrypt(&key, iv, plaintext)?;
    Ok(Sealed {
        encrypted_data: STANDARD.encode(sealed),
        iv: STANDARD.encode(iv),
    })
}

#[cfg(feature = "open-data")]
fn encrypt(key: &[u8; 16], iv: &[u8; 16], plaintext: &[u8]) -> Result<Vec<u8>> {
    Ok(cbc::Encryptor::<aes::Aes128>::new(key.into(), iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext))
}

#[cfg(not(feature = "open-data"))]
fn encrypt(_: &[u8; 16], _: &[u8; 16], _: &[u8]) -> Result<Vec<u8>> {
    Err(Error::Backend(
        "sealing open data needs cloud-kv's `open-data` feature".into(),
    ))
}

/// What a game's server does with a sealed result: the plaintext, or `None` when the key, the
/// iv or the ciphertext is not what [`seal`] makes (a wrong key usually fails the padding).
#[cfg(feature = "open-data")]
pub fn open_sealed(session_key: &str, encrypted_data: &str, iv: &str) -> Option<Vec<u8>> {
    let key = aes_key(session_key).ok()?;
    let iv: [u8; 16] = STANDARD.decode(iv).ok()?.try_into().ok()?;
    let data = STANDARD.decode(encrypted_data).ok()?;
    cbc::Decryptor::<aes::Aes128>::new(&key.into(), &iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(&data)
        .ok()
}

#[cfg(all(test, feature = "open-data"))]
mod tests {
    use super::*;

    #[test]
    fn a_known_answer_of_aes_128_cbc_with_pkcs7() {
        // NIST SP 800-38A F.2.1, first block, key and iv as base64; PKCS#7 then adds a full
        // block of 0x10 whose encryption follows.
        let key = STANDARD.encode([
            0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf,
            0x4f, 0x3c,
        ]);
        let iv: [u8; 16] = core::array::from_fn(|i| i as u8);
        let block = [
            0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96, 0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93,
            0x17, 0x2a,
        ];
        let sealed = seal_with_iv(&key, &iv, &block).unwrap();
        let bytes = STANDARD.decode(&sealed.encrypted_data).unwrap();
        assert_eq!(bytes.len(), 32);
        assert_eq!(
            bytes[..16],
            [
                0x76, 0x49, 0xab, 0xac, 0x81, 0x19, 0xb2, 0x46, 0xce, 0xe9, 0x8e, 0x9b, 0x12, 0xe9,
                0x19, 0x7d
            ]
        );
        assert_eq!(
            open_sealed(&key, &sealed.encrypted_data, &sealed.iv).unwrap(),
            block
        );
    }

    #[test]
    fn keys_and_fields_that_are_not_the_platforms_fail() {
        let key = STANDARD.encode([7u8; 16]);
        let sealed = seal(&key, b"hello").unwrap();
        let cases = [
            ("not base64", seal("%%%", b"x").is_err()),
            ("15 bytes", seal(&STANDARD.encode([1u8; 15]), b"x").is_err()),
            ("17 bytes", seal(&STANDARD.encode([1u8; 17]), b"x").is_err()),
            (
                "wrong key",
                open_sealed(
                    &STANDARD.encode([8u8; 16]),
                    &sealed.encrypted_data,
                    &sealed.iv,
                ) != Some(b"hello".to_vec()),
            ),
            (
                "short iv",
                open_sealed(&key, &sealed.encrypted_data, "AAAA").is_none(),
            ),
            ("bad data", open_sealed(&key, "!!", &sealed.iv).is_none()),
        ];
        for (case, refused) in cases {
            assert!(refused, "{case}");
        }
        assert_ne!(
            seal(&key, b"hello").unwrap().iv,
            sealed.iv,
            "a fresh iv each time"
        );
    }
}
