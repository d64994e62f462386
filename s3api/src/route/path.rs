//! Bucket and key from the request path, and S3's naming rules.
//!
//! Keys are opaque UTF-8 strings up to 1024 bytes: `../x` and `a//b` are just keys.
//! Nothing here turns a key into a filesystem path.

use percent_encoding::percent_decode_str;

use crate::error::{S3Error, S3ErrorCode, S3Result};

/// The longest key S3 accepts, in bytes.
pub const MAX_KEY_LEN: usize = 1024;

/// Percent-decodes a raw path (`+` stays a plus). The result must be UTF-8.
pub fn decode_path(raw: &str) -> S3Result<String> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| S3Error::with_message(S3ErrorCode::InvalidURI, "The path is not valid UTF-8 after percent-decoding."))
}

/// Splits a decoded path-style path into bucket and key. `/` → (None, None);
/// `/b` and `/b/` → (Some(b), None); `/b/k/x` → (Some(b), Some("k/x")).
pub fn split_path_style(decoded: &str) -> (Option<String>, Option<String>) {
    let rest = decoded.strip_prefix('/').unwrap_or(decoded);
    if rest.is_empty() {
        return (None, None);
    }
    match rest.split_once('/') {
        None => (Some(rest.to_owned()), None),
        Some((bucket, "")) => (Some(bucket.to_owned()), None),
        Some((bucket, key)) => (Some(bucket.to_owned()), Some(key.to_owned())),
    }
}

/// The key of a virtual-host-style request: the whole decoded path minus its leading slash.
pub fn vhost_key(decoded: &str) -> Option<String> {
    let key = decoded.strip_prefix('/').unwrap_or(decoded);
    (!key.is_empty()).then(|| key.to_owned())
}

/// Checks a key's length.
pub fn check_key(key: &str) -> S3Result<()> {
    if key.len() > MAX_KEY_LEN {
        return Err(S3Error::new(S3ErrorCode::KeyTooLongError).extra("Size", key.len().to_string()).extra("MaxSizeAllowed", MAX_KEY_LEN.to_string()));
    }
    Ok(())
}

/// S3's rules for new bucket names (general purpose buckets).
pub fn validate_bucket_name(name: &str) -> S3Result<()> {
    let invalid =
        |why: &str| Err(S3Error::with_message(S3ErrorCode::InvalidBucketName, format!("The specified bucket is not valid: {why}.")).extra("BucketName", name));
    if name.len() < 3 || name.len() > 63 {
        return invalid("bucket names must be between 3 and 63 characters long");
    }
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-') {
        return invalid("bucket names can consist only of lowercase letters, numbers, dots and hyphens");
    }
    let first = name.as_bytes()[0];
    let last = name.as_bytes()[name.len() - 1];
    if !(first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric()) {
        return invalid("bucket names must begin and end with a letter or number");
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return invalid("bucket names must not contain two adjacent periods or a period next to a hyphen");
    }
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return invalid("bucket names must not be formatted as an IP address");
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if name.starts_with(prefix) {
            return invalid("bucket names must not start with a reserved prefix");
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if name.ends_with(suffix) {
            return invalid("bucket names must not end with a reserved suffix");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_path_style() {
        assert_eq!(split_path_style("/"), (None, None));
        assert_eq!(split_path_style("/b"), (Some("b".into()), None));
        assert_eq!(split_path_style("/b/"), (Some("b".into()), None));
        assert_eq!(split_path_style("/b/a//c/"), (Some("b".into()), Some("a//c/".into())));
        assert_eq!(split_path_style("/b/../x"), (Some("b".into()), Some("../x".into())));
    }

    #[test]
    fn decodes_once_and_keeps_plus() {
        assert_eq!(decode_path("/b/a%20b+c%2Bd%25").unwrap(), "/b/a b+c+d%");
        assert!(decode_path("/b/%ff").is_err());
    }

    #[test]
    fn bucket_name_rules() {
        for ok in ["abc", "my-bucket.1", "a1b", "0-0"] {
            assert!(validate_bucket_name(ok).is_ok(), "{ok}");
        }
        for bad in ["ab", "ABC", "a_b", "-ab", "ab-", "a..b", "192.168.1.1", "xn--abc", "_depot", &"a".repeat(64)] {
            assert_eq!(validate_bucket_name(bad).unwrap_err().code, S3ErrorCode::InvalidBucketName, "{bad}");
        }
    }

    #[test]
    fn key_length_limit() {
        assert!(check_key(&"k".repeat(1024)).is_ok());
        assert_eq!(check_key(&"k".repeat(1025)).unwrap_err().code, S3ErrorCode::KeyTooLongError);
    }
}
