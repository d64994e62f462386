//! The query string of an S3 request, decoded once.
//!
//! S3 query parameters are either subresources (`?versioning`, `?uploads`) or
//! parameters (`prefix=`, `versionId=`). This type only decodes; deciding what a
//! parameter means belongs to [`crate::operation`].

use percent_encoding::percent_decode;

/// Decoded query parameters, in the order sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses a raw query string (`a=1&b&c=%20`). `+` decodes to a space, as in forms.
    /// Invalid UTF-8 after decoding is replaced lossily; S3 keys in query values are UTF-8.
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode_component(k), decode_component(v))
            })
            .collect();
        Query { pairs }
    }

    /// Parses an `application/x-www-form-urlencoded` body the same way.
    pub fn parse_form(body: &[u8]) -> Self {
        Self::parse(Some(&String::from_utf8_lossy(body)))
    }

    /// The first value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == name)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(k, _)| k.as_str())
    }
}

fn decode_component(s: &str) -> String {
    if !s.bytes().any(|b| b == b'%' || b == b'+') {
        return s.to_owned();
    }
    let replaced = s.replace('+', " ");
    percent_decode(replaced.as_bytes()).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_subresources_and_values() {
        let q = Query::parse(Some("versioning&prefix=a%2Fb+c&max-keys=5&x-id=PutObject"));
        assert!(q.has("versioning"));
        assert_eq!(q.get("versioning"), Some(""));
        assert_eq!(q.get("prefix"), Some("a/b c"));
        assert_eq!(q.get("max-keys"), Some("5"));
        assert_eq!(q.get("nope"), None);
    }

    #[test]
    fn empty_query_has_nothing() {
        assert_eq!(Query::parse(None).names().count(), 0);
        assert_eq!(Query::parse(Some("")).names().count(), 0);
    }
}
