//! AES-256-PMAC-SIV over ciphers kept for the key's lifetime: the construction of `aes-siv`'s
//! `Aes256PmacSiv` (S2V of RFC 5297 with PMAC, then AES-CTR), byte for byte, minus two costs
//! that `aes-siv` pays on every call and that a value seal (every set) feels: expanding the CTR
//! key (its `Siv` keeps the key's bytes, not the expanded cipher) and MACing the zero block
//! that starts every S2V (a constant of the key). The MAC and the block cipher are RustCrypto's
//! (`pmac`, `aes`, `ctr`); `aes-siv` stays the reference every test compares with.

use super::SIV_KEY_LEN;
use aes::cipher::{InnerIvInit, KeyInit, StreamCipherCore};
use aes::Aes256Enc;
use pmac::digest::{CtOutput, Mac};
use pmac::Pmac;
use zeroize::Zeroize;

/// One 128-bit block.
type Block = [u8; 16];

/// The most associated-data components S2V takes (RFC 5297 §2.4: the MAC's block size in bits
/// minus two, as `aes-siv` enforces).
const MAX_HEADERS: usize = 126;

/// AES-256-PMAC-SIV (the bytes of `aes-siv`'s `Aes256PmacSiv`) with its ciphers expanded once:
/// the cipher values of format 2 are sealed with (`docs/security.md`). Public so that
/// benchmarks and tools can run exactly the seal a write runs.
///
/// ```
/// use storage_crypto::PmacSiv;
/// let mut siv = PmacSiv::new(&[7; 64]);
/// let mut text = *b"a value";
/// let tag = siv.seal(&[b"associated data"], &mut text).unwrap();
/// assert!(siv.open(&[b"associated data"], &mut text, &tag));
/// assert_eq!(&text, b"a value");
/// ```
pub struct PmacSiv {
    /// PMAC under the key's first half, reset after each use.
    mac: Pmac<Aes256Enc>,
    /// PMAC of the zero block: S2V's first step (key material: wiped on drop, as the ciphers
    /// wipe themselves).
    zero_mac: Block,
    /// AES-256 under the key's second half, for CTR (borrowed by each call's CTR pass).
    ctr: Aes256Enc,
}

impl PmacSiv {
    /// The cipher of a 512-bit SIV key (MAC half first, as RFC 5297 and `aes-siv` split it).
    pub fn new(key: &[u8; SIV_KEY_LEN]) -> Self {
        let (mac_key, ctr_key) = key.split_at(SIV_KEY_LEN / 2);
        let mut mac = <Pmac<Aes256Enc> as KeyInit>::new(mac_key.into());
        let zero_mac = mac_once(&mut mac, &[&[0; 16]]);
        PmacSiv {
            mac,
            zero_mac,
            ctr: Aes256Enc::new(ctr_key.into()),
        }
    }

    /// Encrypts `text` in place and returns the SIV tag; `None` with more than
    /// 126 headers (then `text` is unchanged).
    pub fn seal(&mut self, headers: &[&[u8]], text: &mut [u8]) -> Option<Block> {
        let tag = self.s2v(headers, text)?;
        self.xor_keystream(&tag, text);
        Some(tag)
    }

    /// Decrypts `text` in place if it authenticates under `tag` and `headers`; otherwise leaves
    /// it encrypted and returns false.
    pub fn open(&mut self, headers: &[&[u8]], text: &mut [u8], tag: &Block) -> bool {
        self.xor_keystream(tag, text);
        let authentic = self.s2v(headers, text).is_some_and(|computed| {
            // Constant time, as `aes-siv` compares.
            CtOutput::<Pmac<Aes256Enc>>::new(computed.into()) == CtOutput::new((*tag).into())
        });
        if !authentic {
            // Encrypted again: a caller never holds plaintext that failed the check.
            self.xor_keystream(tag, text);
        }
        authentic
    }

    /// S2V (RFC 5297 §2.4) of `headers` and `message`.
    fn s2v(&mut self, headers: &[&[u8]], message: &[u8]) -> Option<Block> {
        if headers.len() > MAX_HEADERS {
            return None;
        }
        let mut d = self.zero_mac;
        for header in headers {
            d = xor(dbl(d), mac_once(&mut self.mac, &[header]));
        }
        Some(match message.len().checked_sub(16) {
            // At least a block: the last block of the message, xored with D ("xorend").
            Some(head) => {
                let tail = xor(message[head..].try_into().expect("16 bytes"), d);
                mac_once(&mut self.mac, &[&message[..head], &tail])
            }
            // Shorter: dbl(D) xored with the message padded with 10*.
            None => {
                let mut padded = [0u8; 16];
                padded[..message.len()].copy_from_slice(message);
                padded[message.len()] = 0x80;
                mac_once(&mut self.mac, &[&xor(dbl(d), padded)])
            }
        })
    }

    /// AES-CTR over `text` from the tag with bits 31 and 63 cleared (RFC 5297 §2.5).
    fn xor_keystream(&self, tag: &Block, text: &mut [u8]) {
        let mut iv = *tag;
        iv[8] &= 0x7f;
        iv[12] &= 0x7f;
        // Over a reference to the kept cipher: no copy of its round keys per call.
        ctr::CtrCore::<&Aes256Enc, ctr::flavors::Ctr128BE>::inner_iv_init(&self.ctr, &iv.into())
            .apply_keystream_partial(text.into());
    }
}

impl Drop for PmacSiv {
    fn drop(&mut self) {
        self.zero_mac.zeroize();
    }
}

/// The MAC of the concatenation of `parts`; leaves `mac` reset.
fn mac_once(mac: &mut Pmac<Aes256Enc>, parts: &[&[u8]]) -> Block {
    for part in parts {
        mac.update(part);
    }
    mac.finalize_reset().into_bytes().into()
}

/// Doubling in GF(2^128) (RFC 5297 §2.3).
fn dbl(block: Block) -> Block {
    let x = u128::from_be_bytes(block);
    let reduce = if x >> 127 == 1 { 0x87 } else { 0 };
    ((x << 1) ^ reduce).to_be_bytes()
}

fn xor(a: Block, b: Block) -> Block {
    (u128::from_ne_bytes(a) ^ u128::from_ne_bytes(b)).to_ne_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_siv::siv::Aes256PmacSiv;
    use proptest::prelude::*;

    /// Seals like `aes-siv`'s `Aes256PmacSiv` and opens what it seals, for any key, headers and
    /// message (lengths around the block size and S2V's two message cases included).
    fn agrees_with_aes_siv(key: [u8; SIV_KEY_LEN], headers: Vec<Vec<u8>>, message: Vec<u8>) {
        let refs: Vec<&[u8]> = headers.iter().map(Vec::as_slice).collect();
        let mut reference = Aes256PmacSiv::new(&key.into());
        let mut text = message.clone();
        let expected = reference
            .encrypt_in_place_detached(&refs, &mut text)
            .unwrap();
        let mut ours = PmacSiv::new(&key);
        let mut sealed = message.clone();
        let tag = ours.seal(&refs, &mut sealed).unwrap();
        assert_eq!((tag, &sealed), (<Block>::from(expected), &text));
        // Twice: the kept MAC is reset between calls.
        assert_eq!(ours.seal(&refs, &mut message.clone()), Some(tag));
        assert!(ours.open(&refs, &mut sealed, &tag));
        assert_eq!(sealed, message);
    }

    proptest! {
        #[test]
        fn seals_as_aes_siv_does(
            key in any::<[u8; SIV_KEY_LEN]>(),
            headers in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..4),
            message in prop::collection::vec(any::<u8>(), 0..80),
        ) {
            agrees_with_aes_siv(key, headers, message);
        }
    }

    #[test]
    fn edge_lengths_agree() {
        for len in [0, 1, 15, 16, 17, 31, 32, 33, 1000] {
            agrees_with_aes_siv([len as u8; SIV_KEY_LEN], vec![b"ad".to_vec()], vec![7; len]);
        }
    }

    #[test]
    fn a_failed_open_leaves_the_text_sealed() {
        let mut siv = PmacSiv::new(&[3; SIV_KEY_LEN]);
        let mut text = b"plaintext value".to_vec();
        let tag = siv.seal(&[b"ad"], &mut text).unwrap();
        let sealed = text.clone();
        let mut flipped = tag;
        flipped[0] ^= 1;
        for (headers, tag) in [(&b"other"[..], tag), (&b"ad"[..], flipped)] {
            assert!(!siv.open(&[headers], &mut text, &tag));
            assert_eq!(text, sealed);
        }
    }

    #[test]
    fn too_many_headers_are_refused() {
        let mut siv = PmacSiv::new(&[1; SIV_KEY_LEN]);
        let headers = vec![&b"h"[..]; MAX_HEADERS + 1];
        let mut text = b"unchanged".to_vec();
        assert_eq!(siv.seal(&headers, &mut text), None);
        assert_eq!(text, b"unchanged");
        assert!(siv.seal(&headers[..MAX_HEADERS], &mut text).is_some());
    }
}
