//! Hexadecimal text for keys (the key file and the environment variable).

use zeroize::Zeroizing;

/// `bytes` as lowercase hexadecimal digits, wiped when dropped.
pub(crate) fn encode(bytes: &[u8]) -> Zeroizing<String> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Zeroizing::new(String::with_capacity(bytes.len() * 2));
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Fills `out` from exactly `2 * out.len()` hexadecimal digits (either case). The reason for a
/// failure never quotes the text, which is secret.
pub(crate) fn decode_into(text: &str, out: &mut [u8]) -> Result<(), String> {
    let digits = text.as_bytes();
    if digits.len() != out.len() * 2 {
        return Err(format!("found {} characters", text.chars().count()));
    }
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let hi = value(pair[0]).ok_or("found a character that is not a hexadecimal digit")?;
        let lo = value(pair[1]).ok_or("found a character that is not a hexadecimal digit")?;
        *byte = hi << 4 | lo;
    }
    Ok(())
}

fn value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
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
