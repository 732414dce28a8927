//! Reading request lines with a size cap: an oversized line is skipped, not buffered.

use std::io::{self, BufRead};

/// One line of input, or what stood in its place.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A complete line (without its `\n`, and without a trailing `\r`), in the caller's buffer.
    Text,
    /// A line longer than the cap: its bytes were read and dropped, up to and including its `\n`.
    TooLong {
        /// How many bytes the line had (without the `\n`).
        bytes: u64,
    },
    /// The input ended (a last line without `\n` is still returned as [`Line::Text`] first).
    Eof,
}

/// Reads the next line into `buf` (cleared first), keeping at most `max` bytes of it.
///
/// A line of more than `max` bytes is consumed to its end and reported as [`Line::TooLong`],
/// with memory use bounded by `max` whatever its length.
///
/// ```
/// use mpstore::bridge::lines::{read_line, Line};
/// let mut input = &b"short\nwaaaaay too long\nlast"[..];
/// let mut buf = Vec::new();
/// assert_eq!(read_line(&mut input, 8, &mut buf).unwrap(), Line::Text);
/// assert_eq!(buf, b"short");
/// assert_eq!(read_line(&mut input, 8, &mut buf).unwrap(), Line::TooLong { bytes: 16 });
/// assert_eq!(read_line(&mut input, 8, &mut buf).unwrap(), Line::Text);
/// assert_eq!(buf, b"last");
/// assert_eq!(read_line(&mut input, 8, &mut buf).unwrap(), Line::Eof);
/// ```
pub fn read_line(input: &mut impl BufRead, max: usize, buf: &mut Vec<u8>) -> io::Result<Line> {
    buf.clear();
    let mut total: u64 = 0;
    let mut any = false;
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(if !any {
                Line::Eof
            } else {
                finish(buf, total, max)
            });
        }
        any = true;
        let (part, found) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], true),
            None => (chunk, false),
        };
        // Keep at most one byte past the cap: enough to know the line is too long.
        let room = max.saturating_add(1).saturating_sub(buf.len());
        buf.extend_from_slice(&part[..part.len().min(room)]);
        total += part.len() as u64;
        let used = part.len() + usize::from(found);
        input.consume(used);
        if found {
            return Ok(finish(buf, total, max));
        }
    }
}

fn finish(buf: &mut Vec<u8>, total: u64, max: usize) -> Line {
    if total > max as u64 {
        buf.clear();
        return Line::TooLong { bytes: total };
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Line::Text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    /// Reads every line of `input` through a reader with a tiny buffer, so lines span refills.
    fn lines(input: &[u8], max: usize) -> Vec<Result<String, u64>> {
        let mut r = BufReader::with_capacity(3, input);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            match read_line(&mut r, max, &mut buf).unwrap() {
                Line::Text => out.push(Ok(String::from_utf8(buf.clone()).unwrap())),
                Line::TooLong { bytes } => out.push(Err(bytes)),
                Line::Eof => return out,
            }
        }
    }

    #[test]
    fn lines_split_and_cap() {
        assert_eq!(lines(b"", 4), vec![]);
        assert_eq!(lines(b"\n", 4), vec![Ok("".into())]);
        assert_eq!(lines(b"ab\ncd", 4), vec![Ok("ab".into()), Ok("cd".into())]);
        assert_eq!(lines(b"abcd\n", 4), vec![Ok("abcd".into())]);
        assert_eq!(lines(b"abcde\nx\n", 4), vec![Err(5), Ok("x".into())]);
        assert_eq!(lines(b"abcdefghij", 4), vec![Err(10)]);
        assert_eq!(lines(b"a\r\n\r\n", 4), vec![Ok("a".into()), Ok("".into())]);
        // The largest cap there is means no cap (it must not overflow).
        assert_eq!(lines(b"abcde\n", usize::MAX), vec![Ok("abcde".into())]);
        assert_eq!(
            lines(b"\n\n\n", 0),
            vec![Ok("".into()), Ok("".into()), Ok("".into())]
        );
        assert_eq!(lines(b"x\n", 0), vec![Err(1)]);
    }
}
