//! Conditional request headers (`If-Match`, `If-None-Match`, `If-Modified-Since`,
//! `If-Unmodified-Since`) and their `x-amz-copy-source-if-*` twins, evaluated the way S3
//! evaluates them. Pure: the caller supplies the object's ETag and modification time.

use chrono::{DateTime, Utc};
use http::HeaderMap;

use super::http_date::parse_http_date;
use crate::error::{S3Error, S3ErrorCode, S3Result};

/// The conditions of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<DateTime<Utc>>,
    pub if_unmodified_since: Option<DateTime<Utc>>,
}

impl Conditions {
    /// The `If-*` headers of a GET, HEAD or conditional write.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        Self::read(headers, ["if-match", "if-none-match", "if-modified-since", "if-unmodified-since"])
    }

    /// The `x-amz-copy-source-if-*` headers of a copy.
    pub fn copy_source_from_headers(headers: &HeaderMap) -> Self {
        Self::read(
            headers,
            ["x-amz-copy-source-if-match", "x-amz-copy-source-if-none-match", "x-amz-copy-source-if-modified-since", "x-amz-copy-source-if-unmodified-since"],
        )
    }

    fn read(headers: &HeaderMap, names: [&str; 4]) -> Self {
        let text = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_owned());
        // Unparseable dates are ignored, as HTTP says.
        let date = |n: &str| text(n).and_then(|v| parse_http_date(&v));
        Conditions { if_match: text(names[0]), if_none_match: text(names[1]), if_modified_since: date(names[2]), if_unmodified_since: date(names[3]) }
    }

    pub fn is_empty(&self) -> bool {
        *self == Conditions::default()
    }

    /// Evaluates the conditions of a GET or HEAD: 412 `PreconditionFailed` or 304
    /// `NotModified`, as S3 answers them. `etag` is quoted or not.
    pub fn check_read(&self, etag: &str, last_modified: DateTime<Utc>) -> S3Result<()> {
        self.check(Some(etag), last_modified, S3ErrorCode::NotModified)
    }

    /// Evaluates copy-source conditions: every failure is a 412.
    pub fn check_copy_source(&self, etag: &str, last_modified: DateTime<Utc>) -> S3Result<()> {
        self.check(Some(etag), last_modified, S3ErrorCode::PreconditionFailed)
    }

    fn check(&self, etag: Option<&str>, last_modified: DateTime<Utc>, not_modified: S3ErrorCode) -> S3Result<()> {
        let modified = last_modified.timestamp();
        if let Some(if_match) = &self.if_match {
            if !etag.is_some_and(|e| etag_list_matches(if_match, e)) {
                return Err(precondition("If-Match"));
            }
        } else if let Some(since) = self.if_unmodified_since {
            if modified > since.timestamp() {
                return Err(precondition("If-Unmodified-Since"));
            }
        }
        if let Some(if_none_match) = &self.if_none_match {
            if etag.is_some_and(|e| etag_list_matches(if_none_match, e)) {
                return Err(fail(not_modified, "If-None-Match"));
            }
        } else if let Some(since) = self.if_modified_since {
            if modified <= since.timestamp() {
                return Err(fail(not_modified, "If-Modified-Since"));
            }
        }
        Ok(())
    }

    /// Evaluates conditional-write headers (`If-None-Match: *`, `If-Match: <etag>`) against
    /// the current object, if any.
    pub fn check_write(&self, current_etag: Option<&str>) -> S3Result<()> {
        if let Some(if_none_match) = &self.if_none_match {
            if if_none_match.trim() != "*" {
                return Err(S3Error::with_message(S3ErrorCode::NotImplemented, "If-None-Match on writes supports only '*'"));
            }
            if current_etag.is_some() {
                return Err(precondition("If-None-Match"));
            }
        }
        if let Some(if_match) = &self.if_match {
            match current_etag {
                None => return Err(S3Error::new(S3ErrorCode::NoSuchKey)),
                Some(e) if !etag_list_matches(if_match, e) => return Err(precondition("If-Match")),
                Some(_) => {}
            }
        }
        Ok(())
    }
}

fn precondition(condition: &'static str) -> S3Error {
    S3Error::new(S3ErrorCode::PreconditionFailed).extra("Condition", condition)
}

fn fail(code: S3ErrorCode, condition: &'static str) -> S3Error {
    if code == S3ErrorCode::PreconditionFailed {
        precondition(condition)
    } else {
        S3Error::new(code)
    }
}

/// Whether a header list of ETags (`"a", W/"b"`, or `*`) matches `etag`.
pub fn etag_list_matches(list: &str, etag: &str) -> bool {
    let etag = unquote(etag);
    list.split(',').map(str::trim).any(|candidate| candidate == "*" || unquote(candidate) == etag)
}

fn unquote(etag: &str) -> &str {
    let etag = etag.trim();
    let etag = etag.strip_prefix("W/").unwrap_or(etag);
    etag.strip_prefix('"').and_then(|e| e.strip_suffix('"')).unwrap_or(etag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).unwrap()
    }

    #[test]
    fn if_match_and_if_none_match() {
        let c = Conditions { if_match: Some("\"abc\"".into()), ..Default::default() };
        assert!(c.check_read("\"abc\"", t(10)).is_ok());
        let c = Conditions { if_match: Some("\"zzz\", \"yyy\"".into()), ..Default::default() };
        assert_eq!(c.check_read("\"abc\"", t(10)).unwrap_err().code, S3ErrorCode::PreconditionFailed);
        let c = Conditions { if_none_match: Some("abc".into()), ..Default::default() };
        assert_eq!(c.check_read("\"abc\"", t(10)).unwrap_err().code, S3ErrorCode::NotModified);
        let c = Conditions { if_none_match: Some("*".into()), ..Default::default() };
        assert_eq!(c.check_read("\"abc\"", t(10)).unwrap_err().code, S3ErrorCode::NotModified);
    }

    #[test]
    fn dates_at_second_precision() {
        let c = Conditions { if_modified_since: Some(t(10)), ..Default::default() };
        assert_eq!(c.check_read("e", t(10)).unwrap_err().code, S3ErrorCode::NotModified);
        assert!(c.check_read("e", t(11)).is_ok());
        let c = Conditions { if_unmodified_since: Some(t(10)), ..Default::default() };
        assert!(c.check_read("e", t(10)).is_ok());
        assert_eq!(c.check_read("e", t(11)).unwrap_err().code, S3ErrorCode::PreconditionFailed);
    }

    #[test]
    fn s3_precedence_rules() {
        // If-Match true wins over If-Unmodified-Since false.
        let c = Conditions { if_match: Some("e".into()), if_unmodified_since: Some(t(5)), ..Default::default() };
        assert!(c.check_read("e", t(10)).is_ok());
        // If-None-Match false with If-Modified-Since true gives 304.
        let c = Conditions { if_none_match: Some("e".into()), if_modified_since: Some(t(5)), ..Default::default() };
        assert_eq!(c.check_read("e", t(10)).unwrap_err().code, S3ErrorCode::NotModified);
        // Copy-source failures are 412.
        let c = Conditions { if_none_match: Some("e".into()), ..Default::default() };
        assert_eq!(c.check_copy_source("e", t(10)).unwrap_err().code, S3ErrorCode::PreconditionFailed);
    }

    #[test]
    fn conditional_writes() {
        let c = Conditions { if_none_match: Some("*".into()), ..Default::default() };
        assert!(c.check_write(None).is_ok());
        assert_eq!(c.check_write(Some("\"e\"")).unwrap_err().code, S3ErrorCode::PreconditionFailed);
        let c = Conditions { if_match: Some("\"e\"".into()), ..Default::default() };
        assert!(c.check_write(Some("\"e\"")).is_ok());
        assert_eq!(c.check_write(Some("\"f\"")).unwrap_err().code, S3ErrorCode::PreconditionFailed);
        assert_eq!(c.check_write(None).unwrap_err().code, S3ErrorCode::NoSuchKey);
    }
}
