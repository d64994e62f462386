//! HTTP dates (`Last-Modified`, `If-Modified-Since`, `Expires`) and the ISO-8601 times
//! of S3 XML documents.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

/// `Tue, 15 Nov 1994 08:12:31 GMT`.
pub fn format_http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// `2009-10-12T17:50:30.000Z`, as S3 XML writes times.
pub fn format_iso8601(t: DateTime<Utc>) -> String {
    // The same text as `format("%Y-%m-%dT%H:%M:%S%.3fZ")` for years 0 to 9999, without
    // parsing a format string per call (a listing page writes 1,000 of them).
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses the three HTTP date formats (IMF-fixdate, RFC 850, asctime) and RFC 2822
/// dates with numeric zones. `None` when it is none of them.
pub fn parse_http_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc2822(s) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Some(t.and_utc());
        }
    }
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn round_trips() {
        let t = Utc.with_ymd_and_hms(1994, 11, 6, 8, 49, 37).unwrap();
        assert_eq!(format_http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(t));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(t));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(t));
        assert_eq!(parse_http_date("not a date"), None);
        assert_eq!(format_iso8601(t), "1994-11-06T08:49:37.000Z");
        let t = Utc.timestamp_millis_opt(1_795_000_000_007).unwrap();
        assert_eq!(format_iso8601(t), t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
        assert!(format_iso8601(t).ends_with(".007Z"), "{}", format_iso8601(t));
    }
}
