//! Tag sets: S3's limits, and the `x-amz-tagging` header (URL-query encoded).

use http::HeaderMap;

use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::headers::header_str;
use crate::route::Query;
use crate::xml::request::TaggingRequest;

/// The most tags an object may carry.
pub const MAX_OBJECT_TAGS: usize = 10;
/// The most tags a bucket may carry.
pub const MAX_BUCKET_TAGS: usize = 50;
const MAX_KEY_CHARS: usize = 128;
const MAX_VALUE_CHARS: usize = 256;

fn invalid(message: String) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidTag, message)
}

/// Checks a tag set against S3's limits: count, key and value lengths, unique keys, and
/// the reserved `aws:` prefix.
pub fn validate(tags: &[(String, String)], max_tags: usize) -> S3Result<()> {
    if tags.len() > max_tags {
        return Err(invalid(format!("Object tags cannot be greater than {max_tags}")));
    }
    for (i, (key, value)) in tags.iter().enumerate() {
        let key_chars = key.chars().count();
        if key_chars == 0 || key_chars > MAX_KEY_CHARS {
            return Err(invalid(format!("The TagKey you have provided is invalid: it must be 1 to {MAX_KEY_CHARS} characters")));
        }
        if value.chars().count() > MAX_VALUE_CHARS {
            return Err(invalid(format!("The TagValue you have provided is invalid: it must be at most {MAX_VALUE_CHARS} characters")));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid("Your TagKey cannot be prefixed with aws:".to_owned()));
        }
        if tags[..i].iter().any(|(k, _)| k == key) {
            return Err(invalid("Cannot provide multiple Tags with the same key".to_owned()));
        }
    }
    Ok(())
}

/// The tags of `x-amz-tagging` (`k1=v1&k2=v2`), validated; `None` when absent.
pub fn from_header(headers: &HeaderMap) -> S3Result<Option<Vec<(String, String)>>> {
    let Some(raw) = header_str(headers, "x-amz-tagging") else { return Ok(None) };
    let tags: Vec<(String, String)> = Query::parse(Some(raw)).iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    validate(&tags, MAX_OBJECT_TAGS)?;
    Ok(Some(tags))
}

/// The tags of a `<Tagging>` document, validated against `max_tags`.
pub fn from_request(request: TaggingRequest, max_tags: usize) -> S3Result<Vec<(String, String)>> {
    let tags: Vec<(String, String)> = request.tag_set.tags.into_iter().map(|t| (t.key, t.value)).collect();
    validate(&tags, max_tags)?;
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn limits() {
        assert!(validate(&tags(&[("a", "1"), ("b", "")]), 10).is_ok());
        let eleven: Vec<_> = (0..11).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        assert_eq!(validate(&eleven, 10).unwrap_err().code, S3ErrorCode::InvalidTag);
        assert!(validate(&tags(&[(&"k".repeat(128), "v")]), 10).is_ok());
        assert!(validate(&tags(&[(&"k".repeat(129), "v")]), 10).is_err());
        assert!(validate(&tags(&[("k", &"v".repeat(257))]), 10).is_err());
        assert!(validate(&tags(&[("k", "1"), ("k", "2")]), 10).is_err());
        assert!(validate(&tags(&[("", "1")]), 10).is_err());
        assert!(validate(&tags(&[("aws:x", "1")]), 10).is_err());
    }

    #[test]
    fn header_form() {
        let mut h = HeaderMap::new();
        h.insert("x-amz-tagging", "project=blue%20sky&empty=".parse().unwrap());
        assert_eq!(from_header(&h).unwrap(), Some(tags(&[("project", "blue sky"), ("empty", "")])));
    }
}
