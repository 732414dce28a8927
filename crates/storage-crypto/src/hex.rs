//! Hexadecimal text for keys (the key file and the environment variable), through `base16ct`,
//! whose decoding takes the same time whatever the digits: the text is a secret key.

use zeroize::Zeroizing;

/// `bytes` as lowercase hexadecimal digits, wiped when dropped.
pub(crate) fn encode(bytes: &[u8]) -> Zeroizing<String> {
    let mut digits = Zeroizing::new(vec![0u8; bytes.len() * 2]);
    let text = base16ct::lower::encode_str(bytes, &mut digits)
        .expect("two digits per byte fit the buffer");
    Zeroizing::new(text.to_owned())
}

/// Fills `out` from exactly `2 * out.len()` hexadecimal digits (either case). The reason for a
/// failure never quotes the text, which is secret.
pub(crate) fn decode_into(text: &str, out: &mut [u8]) -> Result<(), String> {
    if text.len() != out.len() * 2 {
        return Err(format!("found {} characters", text.chars().count()));
    }
    match base16ct::mixed::decode(text, out) {
        Ok(_) => Ok(()),
        Err(_) => Err("found a character that is not a hexadecimal digit".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Result<&[u8], &str>) {
        let mut out = vec![0u8; expected.map_or(2, <[u8]>::len)];
        let got = decode_into(text, &mut out).map(|()| out.as_slice());
        assert_eq!(got, expected.map_err(str::to_string), "{text:?}");
    }

    #[test]
    fn decodes() {
        check("00ff", Ok(&[0x00, 0xff]));
        check("0A1b", Ok(&[0x0a, 0x1b]));
        check("abc", Err("found 3 characters"));
        check(
            "0g00",
            Err("found a character that is not a hexadecimal digit"),
        );
        check(
            "é00",
            Err("found a character that is not a hexadecimal digit"),
        );
        check("", Err("found 0 characters"));
    }

    #[test]
    fn round_trips() {
        let bytes: Vec<u8> = (0..=255).collect();
        let text = encode(&bytes);
        let mut back = vec![0u8; 256];
        decode_into(&text, &mut back).unwrap();
        assert_eq!(back, bytes);
        assert_eq!(&encode(&[0xde, 0xad])[..], "dead");
    }
}
