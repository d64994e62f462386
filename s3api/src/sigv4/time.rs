//! Request timestamps: parsing `x-amz-date` / `Date` / `X-Amz-Date`, and the clock-skew and
//! expiry rules S3 applies to signed requests.
//!
//! Pure functions of the given `now`; never reads the clock itself.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::error::{S3Error, S3ErrorCode, S3Result};

/// How far a header-signed request's time may be from the server's (S3: 15 minutes).
pub const MAX_SKEW: Duration = Duration::minutes(15);

/// The longest validity of a presigned V4 URL, in seconds (7 days).
pub const MAX_PRESIGNED_EXPIRES: i64 = 604_800;

/// Parses the ISO 8601 basic format of `x-amz-date` / `X-Amz-Date`: `20130524T000000Z`.
pub fn parse_amz_date(value: &str) -> Option<DateTime<Utc>> {
    if value.len() != 16 || !value.is_ascii() {
        return None;
    }
    NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%SZ").ok().map(|naive| Utc.from_utc_datetime(&naive))
}

/// Parses the `YYYYMMDD` date of a credential scope.
pub fn parse_scope_date(value: &str) -> Option<NaiveDate> {
    if value.len() != 8 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::parse_from_str(value, "%Y%m%d").ok()
}

/// Parses an HTTP date as S3 accepts it in `Date` / `x-amz-date`: RFC 1123 / RFC 2822
/// (`Tue, 27 Mar 2007 19:36:42 +0000` or `... GMT`), RFC 850, asctime, and the ISO 8601
/// basic format that SigV4 clients send in `x-amz-date`.
pub fn parse_http_date(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Some(t) = parse_amz_date(value) {
        return Some(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc2822(value) {
        return Some(t.with_timezone(&Utc));
    }
    const NAIVE_FORMATS: [&str; 3] = [
        "%A, %d-%b-%y %H:%M:%S GMT", // RFC 850
        "%a %b %e %H:%M:%S %Y",      // asctime
        "%a, %d %b %Y %H:%M:%S UTC", // RFC 1123 with UTC, sent by some clients
    ];
    NAIVE_FORMATS.iter().find_map(|format| NaiveDateTime::parse_from_str(value, format).ok().map(|naive| Utc.from_utc_datetime(&naive)))
}

/// `ServerTime` / `Expires` as S3 writes them in error documents: `2013-05-24T00:00:00Z`.
pub fn format_iso8601(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The `x-amz-date` form of a time: `20130524T000000Z`.
pub fn format_amz_date(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// `RequestTimeTooSkewed` unless `request_time` is within [`MAX_SKEW`] of `now`. `raw` is the
/// time as the client sent it, echoed in `RequestTime`.
pub fn check_skew(request_time: DateTime<Utc>, raw: &str, now: DateTime<Utc>) -> S3Result<()> {
    let skew = if request_time > now { request_time - now } else { now - request_time };
    if skew > MAX_SKEW {
        return Err(S3Error::new(S3ErrorCode::RequestTimeTooSkewed)
            .extra("RequestTime", raw)
            .extra("ServerTime", format_iso8601(now))
            .extra("MaxAllowedSkewMilliseconds", MAX_SKEW.num_milliseconds().to_string()));
    }
    Ok(())
}

/// The `AccessDenied` S3 answers when a request carries no usable date.
pub fn missing_date() -> S3Error {
    S3Error::with_message(S3ErrorCode::AccessDenied, "AWS authentication requires a valid Date or x-amz-date header")
}

/// Checks a presigned V4 request's validity window: signed at `signed_at` for `expires`
/// seconds. Not yet valid (more than [`MAX_SKEW`] in the future) or expired -> AccessDenied;
/// an `expires` of 0 has always expired, as AWS answers it.
pub fn check_presigned_window(signed_at: DateTime<Utc>, expires: i64, now: DateTime<Utc>) -> S3Result<()> {
    if signed_at - now > MAX_SKEW {
        return Err(S3Error::with_message(S3ErrorCode::AccessDenied, "Request is not valid yet")
            .extra("X-Amz-Date", format_amz_date(signed_at))
            .extra("ServerTime", format_iso8601(now)));
    }
    let expires_at = signed_at.checked_add_signed(Duration::seconds(expires)).unwrap_or(signed_at);
    if expires <= 0 || now > expires_at {
        // AWS names X-Amz-Expires before the times.
        let err = S3Error::with_message(S3ErrorCode::AccessDenied, "Request has expired").extra("X-Amz-Expires", expires.to_string());
        return Err(with_times(err, expires_at, now));
    }
    Ok(())
}

/// Checks a V2 query-string request's `Expires` (seconds since the epoch).
pub fn check_v2_expires(expires: i64, now: DateTime<Utc>) -> S3Result<()> {
    if now.timestamp() > expires {
        let at = DateTime::from_timestamp(expires, 0).unwrap_or(DateTime::UNIX_EPOCH);
        return Err(expired(at, now));
    }
    Ok(())
}

fn expired(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> S3Error {
    with_times(S3Error::with_message(S3ErrorCode::AccessDenied, "Request has expired"), expires_at, now)
}

/// The `Expires` and `ServerTime` of a "Request has expired".
fn with_times(err: S3Error, expires_at: DateTime<Utc>, now: DateTime<Utc>) -> S3Error {
    err.extra("Expires", format_iso8601(expires_at)).extra("ServerTime", format_iso8601(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        parse_amz_date(s).unwrap()
    }

    #[test]
    fn parses_amz_and_http_dates() {
        let t = at("20070327T193642Z");
        assert_eq!(parse_http_date("Tue, 27 Mar 2007 19:36:42 +0000"), Some(t));
        assert_eq!(parse_http_date("Tue, 27 Mar 2007 19:36:42 GMT"), Some(t));
        assert_eq!(parse_http_date("Tuesday, 27-Mar-07 19:36:42 GMT"), Some(t));
        assert_eq!(parse_http_date("Tue Mar 27 19:36:42 2007"), Some(t));
        assert_eq!(parse_http_date("20070327T193642Z"), Some(t));
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(parse_amz_date("20070327T193642"), None);
        assert_eq!(parse_amz_date("2007-03-27T19:36:42Z"), None);
        assert_eq!(parse_amz_date("20071327T193642Z"), None);
        assert_eq!(parse_scope_date("20130524"), NaiveDate::from_ymd_opt(2013, 5, 24));
        assert_eq!(parse_scope_date("2013052"), None);
        assert_eq!(parse_scope_date("+2013052"), None);
    }

    #[test]
    fn skew_of_more_than_fifteen_minutes_is_rejected_with_times() {
        let now = at("20130524T000000Z");
        assert!(check_skew(at("20130524T001500Z"), "x", now).is_ok());
        assert!(check_skew(at("20130523T234500Z"), "x", now).is_ok());
        let err = check_skew(at("20130524T001501Z"), "20130524T001501Z", now).unwrap_err();
        assert_eq!(err.code, S3ErrorCode::RequestTimeTooSkewed);
        assert!(err.extra.contains(&("RequestTime", "20130524T001501Z".to_owned())));
        assert!(err.extra.contains(&("ServerTime", "2013-05-24T00:00:00Z".to_owned())));
        assert!(check_skew(at("20130523T234459Z"), "x", now).is_err());
    }

    #[test]
    fn presigned_window() {
        let signed = at("20130524T000000Z");
        assert!(check_presigned_window(signed, 86400, at("20130525T000000Z")).is_ok());
        let err = check_presigned_window(signed, 86400, at("20130525T000001Z")).unwrap_err();
        assert_eq!((err.code, &*err.message), (S3ErrorCode::AccessDenied, "Request has expired"));
        // Zero has expired even within its own second.
        let err = check_presigned_window(signed, 0, signed).unwrap_err();
        assert_eq!((err.code, &*err.message), (S3ErrorCode::AccessDenied, "Request has expired"));
        let names: Vec<&str> = err.extra.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["X-Amz-Expires", "Expires", "ServerTime"]);
        assert!(check_presigned_window(signed, 60, at("20130523T234600Z")).is_ok());
        let err = check_presigned_window(signed, 60, at("20130523T234459Z")).unwrap_err();
        assert_eq!((err.code, &*err.message), (S3ErrorCode::AccessDenied, "Request is not valid yet"));
    }

    #[test]
    fn v2_expires() {
        let now = DateTime::from_timestamp(1_175_139_620, 0).unwrap();
        assert!(check_v2_expires(1_175_139_620, now).is_ok());
        let err = check_v2_expires(1_175_139_619, now).unwrap_err();
        assert_eq!(&*err.message, "Request has expired");
    }
}
