//! Known-answer tests: the exact bytes this crate's AES-SIV produces for fixed keys, headers and
//! plaintexts. Records on disk are these bytes, so any change of the `aes-siv` crate (or of how
//! it is called) must leave every vector here unchanged; a vector that changes means stored data
//! would no longer open.
//!
//! The crate's own vectors were produced with aes-siv 0.8 (aes 0.9, cmac 0.8) before the move to
//! aes-siv 0.7 (aes 0.8, cmac 0.7), and pass with both.

use super::*;
use aes_siv::siv::{Aes128Siv, Aes256PmacSiv, Aes256Siv};
use sha2::Digest;

fn hex(bytes: &[u8]) -> String {
    crate::hex::encode(bytes).to_string()
}

/// `len` bytes of a fixed, non-repeating-looking pattern seeded by `seed`.
fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 8) as u8)
        .collect()
}

fn siv_key(seed: u8) -> SivKey {
    let mut key = Zeroizing::new([0u8; SIV_KEY_LEN]);
    key.copy_from_slice(&pattern(seed, SIV_KEY_LEN));
    SivKey(key)
}

/// SHA-256 of `bytes` in hex: keeps the table short for long outputs.
fn digest(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn unhex(s: &str) -> Vec<u8> {
    let mut out = vec![0u8; s.len() / 2];
    crate::hex::decode_into(s, &mut out).unwrap();
    out
}

/// RFC 5297 appendix A: AES-SIV-CMAC-256 (`Aes128Siv`, a 256-bit key). The crate under the
/// storage is RFC 5297 itself, not merely self-consistent.
#[test]
fn rfc_5297_appendix_a() {
    fn check(key: &str, headers: &[&str], plaintext: &str, expected: &str) {
        let key: [u8; 32] = unhex(key).try_into().unwrap();
        let headers: Vec<Vec<u8>> = headers.iter().map(|h| unhex(h)).collect();
        let plaintext = unhex(plaintext);
        let mut cipher = Aes128Siv::new(&key.into());
        let sealed = cipher.encrypt(&headers, &plaintext).unwrap();
        assert_eq!(hex(&sealed), expected);
        assert_eq!(cipher.decrypt(&headers, &sealed).unwrap(), plaintext);
    }
    // A.1: deterministic authenticated encryption.
    check(
        "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
        &["101112131415161718191a1b1c1d1e1f2021222324252627"],
        "112233445566778899aabbccddee",
        "85632d07c6e8f37f950acd320a2ecc9340c02b9690c4dc04daef7f6afe5c",
    );
    // A.2: nonce-based authenticated encryption (the nonce is the last header, as for values).
    check(
        "7f7e7d7c7b7a79787776757473727170404142434445464748494a4b4c4d4e4f",
        &[
            "00112233445566778899aabbccddeeffdeaddadadeaddadaffeeddccbbaa99887766554433221100",
            "102030405060708090a0",
            "09f911029d74e35bd84156c5635688c0",
        ],
        "7468697320697320736f6d6520706c61696e7465787420746f20656e6372797074207573696e67205349562d414553",
        "7bdb6e3b432667eb06f4d14bff2fbd0fcb900f2fddbe404326601965c889bf17dba77ceb094fa663b7a3f748ba8af829ea64ad544a272e9c485b62a3fd5c0d",
    );
}

/// AES-256-PMAC-SIV: the vectors of the `aes-siv` crate's own tests (`tests/siv.rs`), through
/// its `Aes256PmacSiv` and through [`ValueSiv`] (the encryption-only AES-256 this crate seals
/// values with), and the CMAC-SIV of [`NameSiv`] against `Aes256Siv`: the encryption-only key
/// schedule changes no byte.
#[test]
fn aes_256_pmac_siv_vectors() {
    fn check(key: &str, headers: &[&str], plaintext: &str, expected: &str) {
        let key: [u8; SIV_KEY_LEN] = unhex(key).try_into().unwrap();
        let headers: Vec<Vec<u8>> = headers.iter().map(|h| unhex(h)).collect();
        let refs: Vec<&[u8]> = headers.iter().map(Vec::as_slice).collect();
        let plaintext = unhex(plaintext);
        let sealed = Aes256PmacSiv::new(&key.into())
            .encrypt(&headers, &plaintext)
            .unwrap();
        assert_eq!(hex(&sealed), expected);
        let kept = SivCipher::<ValueSiv>::new(SivKey(Zeroizing::new(key)));
        assert_eq!(kept.seal(&refs, &plaintext).unwrap(), sealed);
        assert_eq!(kept.open(&refs, &sealed).unwrap(), plaintext);
        // The CMAC-SIV types agree the same way.
        let cmac = Aes256Siv::new(&key.into()).encrypt(&headers, &plaintext);
        let kept: SivCipher = SivCipher::new(SivKey(Zeroizing::new(key)));
        assert_eq!(kept.seal(&refs, &plaintext).unwrap(), cmac.unwrap());
    }
    check(
        "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f06f6e6d6c6b6a69686766656463626160f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff000102030405060708090a0b0c0d0e0f",
        &["101112131415161718191a1b1c1d1e1f2021222324252627"],
        "112233445566778899aabbccddee",
        "77097bb3e160988e8b262c1942f983885f826d0d7e047e975e2fc4ea6776",
    );
    check(
        "7f7e7d7c7b7a797877767574737271706f6e6d6c6b6a69686766656463626160404142434445464748494a4b4c4d4e4f505152535455565758595a5b5b5d5e5f",
        &[
            "00112233445566778899aabbccddeeffdeaddadadeaddadaffeeddccbbaa99887766554433221100",
            "102030405060708090a0",
            "09f911029d74e35bd84156c5635688c0",
        ],
        "7468697320697320736f6d6520706c61696e7465787420746f20656e6372797074207573696e67205349562d414553",
        "cd07d56dca0fe1569b8ecb3cf2346604290726e12529fc5948546b6be39fed9cd8652256c594c8f56208c7496789de8dfb4f161627c91482f9ecf809652a9e",
    );
    check(
        "7f7e7d7c7b7a797877767574737271706f6e6d6c6b6a69686766656463626160404142434445464748494a4b4c4d4e4f505152535455565758595a5b5b5d5e5f",
        &["101112131415161718191a1b1c1d1e1f2021222324252627"],
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f70",
        "045ba64522c5c980835674d1c5a9264eca3e9f7aceafe9b5485b33f7d2c9114fe5c4b24f9c814d88e78b6150028d630289d023015b8569af338de0af8534827732b365ace1ac99d278431b22eafe31b94297b1c6a2de41383ed8b39f17e748aea128a8bd7d0ee80ec899f1b940c9c0463f22fc2b5a145cb6e90a32801dd1950f92",
    );
}

/// AES-256-SIV (the 512-bit-key variant this crate uses) of fixed inputs must give these bytes
/// (their SHA-256, to keep the table short), through both ways the crate calls it: a key
/// expanded afresh ([`SivKey::seal`]) and a kept cipher sealing in place ([`SivCipher::seal`]);
/// and the result must open both ways.
fn kat(key: u8, headers: &[&[u8]], seed: u8, len: usize, expected: &str) {
    let what = format!("key {key}, {} headers, {len} bytes", headers.len());
    let plaintext = pattern(seed, len);
    let fresh = siv_key(key).seal(headers, &plaintext).unwrap();
    let kept: SivCipher = SivCipher::new(siv_key(key));
    assert_eq!(kept.seal(headers, &plaintext).unwrap(), fresh, "{what}");
    assert_eq!(digest(&fresh), expected, "{what}");
    assert_eq!(kept.open(headers, &fresh).unwrap(), plaintext, "{what}");
    let opened = siv_key(key).open(headers, &fresh).unwrap();
    assert_eq!(&opened[..], &plaintext[..], "{what}");
}

#[test]
#[rustfmt::skip] // a table: one case a line
fn aes_256_siv_vectors() {
    let tag = pattern(9, 32);
    let nonce = pattern(3, 16);
    let name: &[u8] = b"key-000001";
    let value: &[&[u8]] = &[b"value", &tag, name, &nonce];
    let name_headers: &[&[u8]] = &[b"name", &tag];
    let none: &[&[u8]] = &[];
    let odd: &[&[u8]] = &[b"", b"x", &[0; 33]];
    kat(1, none, 0, 0, "d70031c8952d2079c095b74d8efcaa17e749dc04049dabb3c364ee1a759dad2e");
    kat(1, none, 5, 1, "6f356479840e51bf6d40439f6ed526060c7121e63d02aab85b5edd71a923deb5");
    kat(1, name_headers, 0, 10, "96311ead4d96d58e73b33de38d1a91e375c95323066ccadb8f596661810d1e7a");
    kat(2, value, 7, 15, "b8eb907b4914b6ea6a8d1441664ed339fe23e757cf71f4527bdc35b3807929c2");
    kat(2, value, 7, 16, "0e6f2499043c5f9fe4c79a61b05c703d5b438b082c407b158a144b4a8ce1e8c2");
    kat(2, value, 7, 17, "cb864a5d68eef9e5347a435040fa65155fcbd852b590d2a6fcff8b983a454fe1");
    kat(2, value, 8, 100, "70e66c16568115cd993a8e1bcd58a6eb2731749be7252343dcc6c6e7bc98e572");
    kat(3, value, 8, 1024, "5a6ab4fa3c10fc382f160096bb06eae71ce8ab079426edfb7f55380025259eba");
    kat(3, value, 9, 4097, "f9ff7bae79350385036ba5f5d6514aff13a916889b8f493487b7868ceb1a19fb");
    kat(4, odd, 1, 100_000, "5fc8aa25fdaa1cbabbfc70d67663625df4e78a2a98cb4b3520aff0bd63c076bd");
}

/// Whole records: a head record and a wrapped namespace key, both deterministic for a fixed
/// master key, salt and keys, in full.
#[test]
fn key_records() {
    let master = MasterKey::new(pattern(11, 32).try_into().unwrap());
    let salt: [u8; SALT_LEN] = pattern(12, SALT_LEN).try_into().unwrap();
    let kek = Kek::with_salt(&master, 5, salt);
    let root = RootKey(siv_key(13));
    let head = kek.seal_head(&root).unwrap();
    assert_eq!(
        hex(&head),
        "0100000000000000050c2b4a6988a7c6e504234261809fbeddfc1b3a597897b6d5f4133251708faecd18cf12336307381e526f1b1b07f55fcea01a66e0f1f6e6796b65fcda371ae994d7d451e229c79fbc9841ad94893cbacaa9d49bfd7fd13eccb44b4af341dc692702d6739b6d58641173b871db60425725"
    );
    let data = DataKey(siv_key(14));
    let tag: Tag = pattern(15, 32).try_into().unwrap();
    let wrapped = kek.wrap(&tag, &data, b"namespace bytes").unwrap();
    assert_eq!(
        hex(&wrapped),
        "018223d8b8519ce1890b03e1f4345c5ada14442e325257371f4223cb7b39876a1f2c657772ba2cd17e0ce5be7d2a6d873e9827fecd042acf733c699ea7500a7341346ba23327e37eea37b097cfbd140ed01aa70c912ec4a43fece76f4fb63146"
    );
    let (opened_kek, opened_root) = Head::parse(&head).unwrap().open(&master).unwrap();
    assert_eq!(opened_root.0 .0, root.0 .0);
    let (back, ns) = opened_kek.unwrap(&tag, &wrapped).unwrap();
    assert_eq!(
        (back.0 .0, ns.as_slice()),
        (data.0 .0, &b"namespace bytes"[..])
    );
}

/// Whole value records, both formats, for a fixed data key, tag and nonce.
///
/// Format 2 (written now): pinned bytes, and the same bytes computed independently of
/// `records.rs`: `2 ‖ nonce ‖` the `aes-siv` crate's `Aes256PmacSiv` under the HKDF of the data
/// key for format 2, with the one associated-data component `label ‖ tag ‖ nonce ‖ key name`.
///
/// Format 1 (written before): records written by the code of format 1 itself (its
/// `seal_value`, random nonce and all, with this data key and tag), which must open forever;
/// and the same records rebuilt independently: `Aes256Siv` under the HKDF of the data key for
/// format 1 with four components (label, tag, key name, nonce).
#[test]
#[rustfmt::skip] // tables: one case a line
fn value_records() {
    use crate::records::NamespaceKeys;
    let data = DataKey(siv_key(16));
    let tag: Tag = pattern(17, 32).try_into().unwrap();
    let keys = NamespaceKeys::new(tag, &data);
    let derive = |label: &[u8]| SivKey::derive(&pattern(16, SIV_KEY_LEN), None, label);

    let nonce: [u8; 16] = pattern(18, 16).try_into().unwrap();
    let v2: &[(&[u8], &[u8], &str)] = &[
        (b"city", b"Hangzhou", "021231506f8eadcceb0a29486786a5c4e3f8d51c764166fb75b52ad43743627da66aec841b793e39ec"),
        (b"", b"", "021231506f8eadcceb0a29486786a5c4e3d60f69da2eedccc42827902858bff500"),
    ];
    for &(name, value, expected) in v2 {
        let record = keys.seal_value_with(&nonce, name, value).unwrap();
        assert_eq!(hex(&record), expected, "{name:?}");
        let mut ad = b"mpstore storage-crypto v2: value".to_vec();
        ad.extend_from_slice(&tag);
        ad.extend_from_slice(&nonce);
        ad.extend_from_slice(name);
        let key = derive(b"mpstore storage-crypto v2: values (AES-PMAC-SIV)");
        let sealed = Aes256PmacSiv::new(&(*key.0).into()).encrypt([&ad], value).unwrap();
        assert_eq!(record, [&[2][..], &nonce, &sealed].concat(), "{name:?}");
        assert_eq!(keys.open_value(name, &record).unwrap(), value, "{name:?}");
    }

    let v1: &[(&[u8], &[u8], &str)] = &[
        (b"city", b"Hangzhou", "019ff8d0595015b0a4aef72fb7063d8fa42283620e954f9abc631ec00a021823507a79af5f24838470"),
        (b"", b"", "01bc15bb57008bd4adc592c807f84d4c4625a94d860669a3163adc895ef9d4db44"),
    ];
    for &(name, value, record) in v1 {
        let record = unhex(record);
        assert_eq!(keys.open_value(name, &record).unwrap(), value, "{name:?}");
        let (format, nonce) = (record[0], &record[1..17]);
        let key = derive(b"mpstore storage-crypto v1: values");
        let headers: &[&[u8]] = &[b"mpstore storage-crypto v1: value", &tag, name, nonce];
        let sealed = Aes256Siv::new(&(*key.0).into()).encrypt(headers, value).unwrap();
        assert_eq!((format, &record[17..]), (1, &sealed[..]), "{name:?}");
        let nonce: [u8; 16] = nonce.try_into().unwrap();
        assert_eq!(keys.seal_value_v1(&nonce, name, value), record, "{name:?}");
    }
}
