//! A bucket's CORS configuration: the PutBucketCors body validated as S3 validates it, the
//! GetBucketCors document, the stored JSON form, and how a browser's request is matched
//! against the rules (an OPTIONS preflight, or an actual request carrying `Origin`).
//!
//! Pure: the server loads the stored configuration and passes header values; nothing here
//! reads a request, a bucket or a disk. CORS decides only which response headers a browser
//! sees, never whether a request is authorised: ACLs and policies apply as before.
//!
//! Response header names are lowercase (`access-control-allow-origin`), as `http`'s
//! `HeaderName` wants them; HTTP header names are case-insensitive.
//!
//! S3's matching, as AWS documents it and as recorded answers show it:
//! - the first `CORSRule` that matches wins;
//! - `Origin` matches an `AllowedOrigin` exactly, or around its one `*` (which may match
//!   nothing: `http://*.example.com`, `*`), case-sensitively;
//! - the method matches an `AllowedMethod` exactly (`HEAD` is its own method, not `GET`);
//! - on a preflight only, every name in `Access-Control-Request-Headers` matches an
//!   `AllowedHeader` without regard to case, around its one `*`. A rule without
//!   `AllowedHeader` allows no requested header.

use serde::{Deserialize, Serialize};

use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::xml::request::parse;
use crate::xml::XmlWriter;

/// The most rules one configuration may hold.
pub const MAX_RULES: usize = 100;
/// The largest PutBucketCors body S3 accepts ("limited to 64 KB in size").
pub const MAX_BODY: usize = 64 * 1024;
/// The longest rule ID, in characters.
pub const MAX_ID_CHARS: usize = 255;
/// The methods an `AllowedMethod` may name, case-sensitively.
pub const METHODS: [&str; 5] = ["GET", "PUT", "HEAD", "POST", "DELETE"];

/// `Vary` on every answer a rule matched, as S3 sends it.
pub const VARY: &str = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";

/// S3's message when no rule matches a preflight (its spelling of "evaluation" kept).
pub const NOT_ALLOWED_MESSAGE: &str = "This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";

/// A bucket's CORS rules, in the order the client sent them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsConfiguration {
    pub rules: Vec<CorsRule>,
}

/// One `CORSRule`. Values are kept as sent (GetBucketCors gives them back unchanged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsRule {
    pub id: Option<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_methods: Vec<String>,
    pub allowed_headers: Vec<String>,
    pub expose_headers: Vec<String>,
    pub max_age_seconds: Option<i64>,
}

/// `<CORSConfiguration>` as sent.
#[derive(Debug, Deserialize)]
struct CorsConfigurationXml {
    #[serde(rename = "CORSRule", default)]
    rules: Vec<CorsRuleXml>,
}

#[derive(Debug, Deserialize)]
struct CorsRuleXml {
    #[serde(rename = "ID", default)]
    id: Option<String>,
    #[serde(rename = "AllowedOrigin", default)]
    allowed_origins: Vec<String>,
    #[serde(rename = "AllowedMethod", default)]
    allowed_methods: Vec<String>,
    #[serde(rename = "AllowedHeader", default)]
    allowed_headers: Vec<String>,
    #[serde(rename = "ExposeHeader", default)]
    expose_headers: Vec<String>,
    #[serde(rename = "MaxAgeSeconds", default)]
    max_age_seconds: Option<i64>,
}

fn invalid_request(message: String) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidRequest, message)
}

fn bad_request(message: String) -> S3Error {
    S3Error::with_message(S3ErrorCode::BadRequest, message)
}

impl CorsRule {
    /// S3's checks of one rule: an origin and a method present (`MalformedXML`), the ID's
    /// length (`InvalidArgument`, as S3 answers for its other rule IDs), known methods, and
    /// at most one `*` per origin and per allowed header (`InvalidRequest`).
    fn validate(&self) -> S3Result<()> {
        if self.allowed_origins.is_empty() || self.allowed_methods.is_empty() {
            return Err(S3Error::new(S3ErrorCode::MalformedXML));
        }
        if self.id.as_deref().is_some_and(|id| id.chars().count() > MAX_ID_CHARS) {
            return Err(S3Error::with_message(S3ErrorCode::InvalidArgument, format!("ID length should not exceed allowed limit of {MAX_ID_CHARS}")));
        }
        if let Some(method) = self.allowed_methods.iter().find(|m| !METHODS.contains(&m.as_str())) {
            return Err(invalid_request(format!("Found unsupported HTTP method in CORS config. Unsupported method is {method}")));
        }
        if let Some(origin) = self.allowed_origins.iter().find(|o| o.matches('*').count() > 1) {
            return Err(invalid_request(format!("AllowedOrigin \"{origin}\" can not have more than one wildcard.")));
        }
        if let Some(header) = self.allowed_headers.iter().find(|h| h.matches('*').count() > 1) {
            return Err(invalid_request(format!("AllowedHeader \"{header}\" can not have more than one wildcard.")));
        }
        Ok(())
    }

    /// Whether `origin` and `method` match this rule.
    fn matches(&self, origin: &str, method: &str) -> bool {
        self.allowed_methods.iter().any(|m| m == method) && self.allowed_origins.iter().any(|o| wildcard_match(o, origin))
    }

    /// Whether every requested header name (already lowercase) matches an `AllowedHeader`.
    fn allows_headers(&self, requested: &[String]) -> bool {
        requested.iter().all(|name| self.allowed_headers.iter().any(|allowed| wildcard_match(&allowed.to_ascii_lowercase(), name)))
    }

    /// The CORS headers of an answer this rule matched. `Access-Control-Allow-Origin` is `*`
    /// when the rule allows every origin (then without `Access-Control-Allow-Credentials`,
    /// which browsers refuse beside `*`), else the request's origin.
    fn response_headers(&self, origin: &str, allow_headers: Option<String>) -> Vec<(&'static str, String)> {
        let any_origin = self.allowed_origins.iter().any(|o| o == "*");
        let mut headers = Vec::with_capacity(7);
        headers.push(("access-control-allow-origin", if any_origin { "*".to_owned() } else { origin.to_owned() }));
        headers.push(("access-control-allow-methods", self.allowed_methods.join(", ")));
        if let Some(allow_headers) = allow_headers {
            headers.push(("access-control-allow-headers", allow_headers));
        }
        if !self.expose_headers.is_empty() {
            headers.push(("access-control-expose-headers", self.expose_headers.join(", ")));
        }
        if let Some(max_age) = self.max_age_seconds {
            headers.push(("access-control-max-age", max_age.to_string()));
        }
        if !any_origin {
            headers.push(("access-control-allow-credentials", "true".to_owned()));
        }
        headers.push(("vary", VARY.to_owned()));
        headers
    }

    fn write(&self, w: &mut XmlWriter) {
        w.open("CORSRule");
        w.opt_elem("ID", self.id.as_deref());
        for (name, values) in [
            ("AllowedHeader", &self.allowed_headers),
            ("AllowedMethod", &self.allowed_methods),
            ("AllowedOrigin", &self.allowed_origins),
            ("ExposeHeader", &self.expose_headers),
        ] {
            for value in values {
                w.elem(name, value);
            }
        }
        if let Some(max_age) = self.max_age_seconds {
            w.num_elem("MaxAgeSeconds", max_age);
        }
        w.close("CORSRule");
    }
}

impl From<CorsRuleXml> for CorsRule {
    fn from(r: CorsRuleXml) -> Self {
        CorsRule {
            id: r.id,
            allowed_origins: r.allowed_origins,
            allowed_methods: r.allowed_methods,
            allowed_headers: r.allowed_headers,
            expose_headers: r.expose_headers,
            max_age_seconds: r.max_age_seconds,
        }
    }
}

/// Whether `value` matches `pattern`, which holds at most one `*` standing for any run of
/// characters, the empty one included; the match is anchored at both ends.
fn wildcard_match(pattern: &str, value: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == value,
        Some((prefix, suffix)) => value.len() >= prefix.len() + suffix.len() && value.starts_with(prefix) && value.ends_with(suffix),
    }
}

/// The names of `Access-Control-Request-Headers`: comma-separated, trimmed, lowercased,
/// empty items dropped, in the order requested.
fn requested_header_names(value: &str) -> Vec<String> {
    value.split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_ascii_lowercase).collect()
}

impl CorsConfiguration {
    /// Parses and validates a PutBucketCors body, as S3 does:
    /// - a body over 64 KB is `MaxMessageLengthExceeded`;
    /// - XML that does not parse, no `CORSRule`, more than 100 rules, or a rule without an
    ///   `AllowedOrigin` or an `AllowedMethod` is `MalformedXML`;
    /// - an `ID` over 255 characters is `InvalidArgument` "ID length should not exceed
    ///   allowed limit of 255";
    /// - a method other than GET, PUT, HEAD, POST or DELETE (case-sensitive, the empty one
    ///   included) is `InvalidRequest` "Found unsupported HTTP method in CORS config.
    ///   Unsupported method is X";
    /// - an `AllowedOrigin` or `AllowedHeader` with two `*` is `InvalidRequest`
    ///   "AllowedOrigin "x" can not have more than one wildcard." (or `AllowedHeader`).
    ///
    /// Values are otherwise kept as sent: an empty `AllowedOrigin` is accepted, origins are
    /// not normalised, `ExposeHeader` values are not checked.
    pub fn from_xml(body: &[u8]) -> S3Result<CorsConfiguration> {
        if body.len() > MAX_BODY {
            return Err(S3Error::new(S3ErrorCode::MaxMessageLengthExceeded));
        }
        let doc: CorsConfigurationXml = parse(body)?;
        if doc.rules.is_empty() || doc.rules.len() > MAX_RULES {
            return Err(S3Error::new(S3ErrorCode::MalformedXML));
        }
        let config = CorsConfiguration { rules: doc.rules.into_iter().map(CorsRule::from).collect() };
        for rule in &config.rules {
            rule.validate()?;
        }
        Ok(config)
    }

    /// The GetBucketCors document: `<CORSConfiguration xmlns="…">` with one `<CORSRule>`
    /// per rule, members in S3's order (ID, AllowedHeader, AllowedMethod, AllowedOrigin,
    /// ExposeHeader, MaxAgeSeconds), only those set.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        w.open_root("CORSConfiguration");
        for rule in &self.rules {
            rule.write(&mut w);
        }
        w.close("CORSConfiguration");
        w.finish()
    }

    /// The stored form.
    pub fn to_json(&self) -> String {
        super::to_stored_json(self)
    }

    /// Reads the stored form back; text that does not parse is `InternalError`.
    pub fn from_json(s: &str) -> S3Result<CorsConfiguration> {
        super::from_stored_json(s)
    }

    /// Answers an OPTIONS preflight whose headers were checked ([`preflight_request`]):
    /// `origin` is `Origin`, `method` is `Access-Control-Request-Method`, `request_headers`
    /// is `Access-Control-Request-Headers` (comma-separated; empty when absent).
    ///
    /// The first rule matching origin, method and every requested header gives the headers
    /// of the 200: `access-control-allow-origin` (the origin, or `*` when the rule allows
    /// every origin), `access-control-allow-methods` (the rule's methods, joined by `, `),
    /// `access-control-allow-headers` (the requested names, lowercased, only when some were
    /// requested), `access-control-expose-headers` and `access-control-max-age` (when the
    /// rule sets them), `access-control-allow-credentials: true` (unless the origin is `*`)
    /// and `vary: Origin, Access-Control-Request-Headers, Access-Control-Request-Method`.
    ///
    /// No match is 403 `CORSResponse` with S3's message and a `Method` element naming the
    /// requested method; a caller that knows it may add `ResourceType` (`BUCKET` for a
    /// bucket URL, `OBJECT` for a key), which S3 writes after `Method`.
    pub fn preflight(&self, origin: &str, method: &str, request_headers: &str) -> S3Result<Vec<(&'static str, String)>> {
        let requested = requested_header_names(request_headers);
        let rule = self.rules.iter().find(|r| r.matches(origin, method) && r.allows_headers(&requested));
        match rule {
            Some(rule) => {
                let allow_headers = if requested.is_empty() { None } else { Some(requested.join(", ")) };
                Ok(rule.response_headers(origin, allow_headers))
            }
            None => Err(S3Error::with_message(S3ErrorCode::CORSResponse, NOT_ALLOWED_MESSAGE).extra("Method", method)),
        }
    }

    /// The CORS headers for an actual (non-OPTIONS) request carrying `Origin`: those of
    /// [`CorsConfiguration::preflight`] but `access-control-allow-headers`, from the first
    /// rule matching origin and method. The request's own headers are not checked.
    ///
    /// `method` is the request's `Access-Control-Request-Method` header when it carries one,
    /// else its method: S3 matches an actual request so (a GET sent with
    /// `Access-Control-Request-Method: PUT` matches only a rule allowing PUT).
    ///
    /// `None` when no rule matches: the request is served as usual, without CORS headers
    /// (S3's recorded answer carries no `Vary` either; a server may still send
    /// `Vary: Origin` for caches' sake).
    pub fn actual(&self, origin: &str, method: &str) -> Option<Vec<(&'static str, String)>> {
        self.rules.iter().find(|r| r.matches(origin, method)).map(|rule| rule.response_headers(origin, None))
    }
}

/// Checks a preflight's own headers, before any rule is read, and gives back
/// `(origin, method)`:
/// - no `Origin` (or an empty one) is 400 `BadRequest` "Insufficient information. Origin
///   request header needed.";
/// - no `Access-Control-Request-Method`, or one that is not GET, PUT, HEAD, POST or DELETE
///   (case-sensitive), is 400 `BadRequest` "Invalid Access-Control-Request-Method: X",
///   X being `null` when the header is absent.
///
/// S3 checks `Origin` before it looks at the bucket, and answers a bucket without a CORS
/// configuration before it checks the method; [`answer_preflight`] keeps that order.
pub fn preflight_request(origin: Option<&str>, method: Option<&str>) -> S3Result<(String, String)> {
    let origin = check_origin(origin)?;
    let method = check_method(method)?;
    Ok((origin.to_owned(), method.to_owned()))
}

fn check_origin(origin: Option<&str>) -> S3Result<&str> {
    match origin {
        Some(origin) if !origin.is_empty() => Ok(origin),
        _ => Err(bad_request("Insufficient information. Origin request header needed.".to_owned())),
    }
}

fn check_method(method: Option<&str>) -> S3Result<&str> {
    match method {
        Some(method) if METHODS.contains(&method) => Ok(method),
        other => Err(bad_request(format!("Invalid Access-Control-Request-Method: {}", other.unwrap_or("null")))),
    }
}

/// A whole OPTIONS preflight in S3's order, so the server passes only the bucket's stored
/// configuration (`None` when it has none) and the three header values:
/// 1. no `Origin`: 400 `BadRequest` (as [`preflight_request`]);
/// 2. no configuration: 403 `CORSResponse` "CORS is not enabled for this bucket.", with
///    `Method` naming the requested method, or `OPTIONS` when none was requested;
/// 3. a missing or unknown `Access-Control-Request-Method`: 400 `BadRequest`;
/// 4. the rules, as [`CorsConfiguration::preflight`].
///
/// A bucket that does not exist is the server's answer to give (S3: 403 `CORSResponse`
/// "Bucket not found").
pub fn answer_preflight(
    config: Option<&CorsConfiguration>,
    origin: Option<&str>,
    method: Option<&str>,
    request_headers: Option<&str>,
) -> S3Result<Vec<(&'static str, String)>> {
    let origin = check_origin(origin)?;
    let Some(config) = config else {
        return Err(S3Error::new(S3ErrorCode::CORSResponse).extra("Method", method.unwrap_or("OPTIONS")));
    };
    let method = check_method(method)?;
    config.preflight(origin, method, request_headers.unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_are_anchored_and_may_match_nothing() {
        let table = [
            ("*", "", true),
            ("*", "http://a.example", true),
            ("http://*.example.com", "http://www.example.com", true),
            ("http://*.example.com", "http://.example.com", true),
            ("http://*.example.com", "https://www.example.com", false),
            ("http://*.example.com", "http://www.example.com/", false),
            ("*suffix", "foo.suffix", true),
            ("*suffix", "foo.suffix.get", false),
            ("start*end", "startend", true),
            ("start*end", "start12end", true),
            ("start*end", "0start12end", false),
            ("prefix*", "prefix", true),
            ("prefix*", "bla.prefix", false),
            ("ab*ba", "aba", false),
            ("http://a.com", "http://a.com", true),
            ("http://a.com", "http://A.com", false),
        ];
        for (pattern, value, expected) in table {
            assert_eq!(wildcard_match(pattern, value), expected, "{pattern} vs {value}");
        }
    }

    #[test]
    fn requested_headers_are_split_trimmed_and_lowercased() {
        assert_eq!(requested_header_names(""), Vec::<String>::new());
        assert_eq!(requested_header_names(" , "), Vec::<String>::new());
        assert_eq!(requested_header_names("X-Amz-Date,content-type , Authorization"), vec!["x-amz-date", "content-type", "authorization"]);
    }
}
