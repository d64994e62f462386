//! RFC 2047 encoded words (`=?UTF-8?B?Y2Fmw6k=?=`), the form in which clients that can
//! send only ASCII headers (browsers, some SDKs) carry non-ASCII user metadata.
//!
//! Depot stores and returns metadata exactly as it was sent; this decodes it where the
//! text itself matters (the search index). Pure: no I/O.

use std::borrow::Cow;

use base64::Engine;

/// The text of a header value with every well-formed encoded word decoded (B and Q
/// encodings; UTF-8, US-ASCII and ISO-8859-1). Whitespace between two adjacent encoded
/// words is dropped, as RFC 2047 says; anything that is not a well-formed encoded word
/// in a known charset is kept as it is.
pub fn decode_rfc2047(value: &str) -> Cow<'_, str> {
    if !value.contains("=?") {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, candidate) = rest.split_at(start);
        match encoded_word(candidate) {
            Some((text, len)) => {
                if !(after_word && before.chars().all(char::is_whitespace)) {
                    out.push_str(before);
                }
                out.push_str(&text);
                rest = &candidate[len..];
                after_word = true;
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = &candidate[2..];
                after_word = false;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Decodes the encoded word at the start of `s`: its text and its length in `s`.
fn encoded_word(s: &str) -> Option<(String, usize)> {
    let body = s.strip_prefix("=?")?;
    let (charset, body) = body.split_once('?')?;
    let (encoding, body) = body.split_once('?')?;
    let end = body.find("?=")?;
    let text = &body[..end];
    if text.contains(char::is_whitespace) {
        return None;
    }
    let bytes = match encoding {
        "B" | "b" => base64::engine::general_purpose::STANDARD.decode(text).ok()?,
        "Q" | "q" => q_decode(text)?,
        _ => return None,
    };
    // A language tag (`UTF-8*en`, RFC 2231) does not change the charset.
    let charset = charset.split('*').next().unwrap_or(charset);
    let decoded = if charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("us-ascii") {
        String::from_utf8(bytes).ok()?
    } else if charset.eq_ignore_ascii_case("iso-8859-1") || charset.eq_ignore_ascii_case("latin1") {
        bytes.iter().map(|&b| char::from(b)).collect()
    } else {
        return None;
    };
    let len = 2 + charset_len(s) + 1 + encoding.len() + 1 + end + 2;
    Some((decoded, len))
}

/// The length of the charset part of the encoded word at the start of `s` (its
/// language tag included).
fn charset_len(s: &str) -> usize {
    s[2..].find('?').unwrap_or(0)
}

/// The Q encoding: `_` is a space, `=XX` a byte in hex, anything else itself.
fn q_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'_' => out.push(b' '),
            b'=' => {
                let hi = bytes.next()?;
                let lo = bytes.next()?;
                out.push(u8::from_str_radix(std::str::from_utf8(&[hi, lo]).ok()?, 16).ok()?);
            }
            b => out.push(b),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_encoded_words_and_keeps_everything_else() {
        let table = [
            ("plain text", "plain text"),
            ("=?UTF-8?B?Y2Fmw6k=?=", "café"),
            ("=?utf-8?q?caf=C3=A9_au_lait?=", "café au lait"),
            ("=?ISO-8859-1?Q?caf=E9?=", "café"),
            ("Re: =?UTF-8?B?Y2Fmw6k=?= ok", "Re: café ok"),
            ("=?UTF-8?B?Y2Fm?= =?UTF-8?B?w6k=?=", "café"),
            ("=?UTF-8?B?not base64!?=", "=?UTF-8?B?not base64!?="),
            ("=?KOI8-R?B?Y2Fm?=", "=?KOI8-R?B?Y2Fm?="),
            ("=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="),
            ("a =? b", "a =? b"),
            ("=?UTF-8?B?", "=?UTF-8?B?"),
        ];
        for (input, want) in table {
            assert_eq!(decode_rfc2047(input), want, "{input}");
        }
    }
}
