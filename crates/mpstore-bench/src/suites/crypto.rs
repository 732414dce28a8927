//! A breakdown of the crypto in one small set and get, with the primitives storage-crypto uses
//! (AES-SIV, HMAC-SHA256), each against a raw sled get.

use super::Ctx;
use crate::harness::{interleave, Contender};
use crate::peers::{raw_sled, value};
use crate::report::{Report, Section};
use crate::suites::ops::{baseline_row, ratio_row};
use aes_siv::siv::Aes256Siv;
use aes_siv::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Adds the crypto breakdown section.
pub fn run(ctx: &Ctx, report: &mut Report) {
    let db = raw_sled(&ctx.dir("crypto"));
    let v = value(100);
    db.insert("key-000001", v.as_bytes()).expect("insert");
    let key = [7u8; 64];
    let tag = [9u8; 32];
    let nonce = [3u8; 16];
    let name: &[u8] = b"key-000001";
    let name_headers: [&[u8]; 2] = [b"name", &tag];
    let value_headers: [&[u8]; 4] = [b"value", &tag, name, &nonce];
    let sealed = Aes256Siv::new(&key.into())
        .encrypt(value_headers, v.as_bytes())
        .expect("seal");
    let mut names = Aes256Siv::new(&key.into());
    let mut sealer = Aes256Siv::new(&key.into());
    let mut opener = Aes256Siv::new(&key.into());
    let namespace = [5u8; 40];
    let samples = interleave(
        ctx.fast,
        &mut [
            Contender::new("raw sled get, 100 B", |_| {
                std::hint::black_box(db.get("key-000001").expect("get"));
            }),
            Contender::new(
                "AES-SIV seal of a 100 B value (4 headers): every set",
                |_| {
                    std::hint::black_box(
                        sealer.encrypt(value_headers, v.as_bytes()).expect("seal"),
                    );
                },
            ),
            Contender::new(
                "AES-SIV open of a 100 B value: every get the read cache misses",
                |_| {
                    std::hint::black_box(opener.decrypt(value_headers, &sealed).expect("open"));
                },
            ),
            Contender::new(
                "AES-SIV seal of a key name (2 headers): a name-cache miss",
                |_| {
                    std::hint::black_box(names.encrypt(name_headers, name).expect("seal"));
                },
            ),
            Contender::new(
                "AES-256 key expansion (Aes256Siv::new): what kept ciphers save",
                |_| {
                    std::hint::black_box(Aes256Siv::new(&key.into()));
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
