//! A breakdown of the crypto in one small set and get, with the primitives storage-crypto uses
//! (AES-256-PMAC-SIV for values, AES-256-SIV for key names, HMAC-SHA256 for namespace tags), each
//! against a raw sled get.

use super::Ctx;
use crate::harness::{interleave, Contender};
use crate::peers::{raw_sled, value};
use crate::report::{Report, Section};
use crate::suites::ops::{baseline_row, ratio_row};
use aes::Aes256Enc;
use aes_siv::siv::CmacSiv;
use aes_siv::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use storage_crypto::PmacSiv;

/// storage-crypto's key-name cipher: AES-256-SIV (CMAC) over AES's encryption half.
type NameSiv = CmacSiv<Aes256Enc>;

/// A value's one associated-data component as storage-crypto builds it (format 2): a 32-byte
/// label, the namespace's 32-byte tag, the 16-byte nonce, the key name.
pub fn value_ad(tag: &[u8; 32], nonce: &[u8; 16], name: &[u8]) -> Vec<u8> {
    [&b"mpstore storage-crypto v2: value"[..], tag, nonce, name].concat()
}

/// Adds the crypto breakdown section.
pub fn run(ctx: &Ctx, report: &mut Report) {
    let db = raw_sled(&ctx.dir("crypto"));
    let v = value(100);
    db.insert("key-000001", v.as_bytes()).expect("insert");
    let key = [7u8; 64];
    let tag = [9u8; 32];
    let nonce = [3u8; 16];
    let name: &[u8] = b"key-000001";
    let name_headers: [&[u8]; 2] = [b"mpstore storage-crypto v1: key name", &tag];
    let ad = value_ad(&tag, &nonce, name);
    let value_headers = [ad.as_slice()];
    let mut sealed = v.as_bytes().to_vec();
    let sealed_tag = PmacSiv::new(&key)
        .seal(&value_headers, &mut sealed)
        .expect("seal");
    let mut names = NameSiv::new(&key.into());
    let mut sealer = PmacSiv::new(&key);
    let mut opener = PmacSiv::new(&key);
    // Kept buffers, as storage-crypto seals into the record it writes and opens into the value
    // it returns.
    let mut sealing = Vec::with_capacity(v.len());
    let mut opening = Vec::with_capacity(v.len());
    let namespace = [5u8; 40];
    let samples = interleave(
        ctx.fast,
        &mut [
            Contender::new("raw sled get, 100 B", |_| {
                std::hint::black_box(db.get("key-000001").expect("get"));
            }),
            Contender::new(
                "AES-PMAC-SIV seal of a 100 B value (1 header): every set",
                |_| {
                    sealing.clear();
                    sealing.extend_from_slice(v.as_bytes());
                    std::hint::black_box(sealer.seal(&value_headers, &mut sealing).expect("seal"));
                },
            ),
            Contender::new(
                "AES-PMAC-SIV open of a 100 B value: every get the read cache misses",
                |_| {
                    opening.clear();
                    opening.extend_from_slice(&sealed);
                    assert!(opener.open(&value_headers, &mut opening, &sealed_tag));
                },
            ),
            Contender::new(
                "AES-SIV (CMAC) seal of a key name (2 headers): a name-cache miss",
                |_| {
                    std::hint::black_box(names.encrypt(name_headers, name).expect("seal"));
                },
            ),
            Contender::new(
                "a value cipher's setup (its AES-256 keys expanded, S2V's first block): what kept ciphers save",
                |_| {
                    std::hint::black_box(PmacSiv::new(&key));
                },
            ),
            Contender::new(
                "HMAC-SHA256 tag of a 40-byte namespace: a namespace-cache miss",
                |_| {
                    let mut mac =
                        <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&tag).expect("key");
                    mac.update(&namespace);
                    std::hint::black_box(mac.finalize().into_bytes());
                },
            ),
        ],
    );
    report.sections.push(Section {
        title: "breakdown: the crypto left in a small set and a get".into(),
        baseline: "The primitives storage-crypto runs, alone, with the same crates and kept \
                   (pre-expanded) ciphers; ratios to a raw sled get of 100 B, paired per round. \
                   A set seals its value; a get served by the read cache runs no crypto, a miss \
                   opens the value; key names and namespace tags are cached, so their rows are \
                   paid on a cache miss only."
            .into(),
        rows: (0..samples.names.len())
            .map(|c| {
                if c == 0 {
                    baseline_row(&samples, 0)
                } else {
                    ratio_row(&samples, c, 0)
                }
            })
            .collect(),
    });
}
