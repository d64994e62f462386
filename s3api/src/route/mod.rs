//! From an HTTP request line and Host header to the addressed bucket and key.
//!
//! Path-style (`/bucket/key`) and virtual-host-style (`bucket.<domain>/key`) requests
//! both end up as a [`Target`]. Which operation is meant is decided in
//! [`crate::operation`].

mod path;
mod query;

pub use path::{check_key, validate_bucket_name, MAX_KEY_LEN};
pub use query::Query;

use crate::error::S3Result;

/// The bucket and key a request addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub bucket: Option<String>,
    pub key: Option<String>,
    /// True when the bucket came from the Host header.
    pub virtual_host: bool,
}

/// Resolves the target of a request. `domains` are the virtual-host domains: a Host of
/// `<bucket>.<domain>` (port ignored) addresses `<bucket>`; any other host is path-style.
pub fn resolve(uri: &http::Uri, host: Option<&str>, domains: &[String]) -> S3Result<Target> {
    let decoded = path::decode_path(uri.path())?;
    if let Some(bucket) = host.and_then(|h| vhost_bucket(h, domains)) {
        return Ok(Target { bucket: Some(bucket), key: path::vhost_key(&decoded), virtual_host: true });
    }
    let (bucket, key) = path::split_path_style(&decoded);
    Ok(Target { bucket, key, virtual_host: false })
}

fn vhost_bucket(host: &str, domains: &[String]) -> Option<String> {
    let host = strip_port(host).to_ascii_lowercase();
    domains.iter().find_map(|domain| {
        let bucket = host.strip_suffix(domain.as_str())?.strip_suffix('.')?;
        (!bucket.is_empty()).then(|| bucket.to_owned())
    })
}

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        // IPv6 literal: never a virtual host.
        return host;
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(uri: &str, host: &str) -> Target {
        resolve(&uri.parse().unwrap(), Some(host), &["localhost".to_owned(), "s3.example.com".to_owned()]).unwrap()
    }

    #[test]
    fn path_style() {
        let t = target("/bkt/dir/file%20x.txt?x-id=GetObject", "127.0.0.1:9000");
        assert_eq!(t, Target { bucket: Some("bkt".into()), key: Some("dir/file x.txt".into()), virtual_host: false });
        let t = target("/", "localhost:9000");
        assert_eq!(t, Target { bucket: None, key: None, virtual_host: false });
    }

    #[test]
    fn virtual_host_style() {
        let t = target("/a/b", "bkt.localhost:9000");
        assert_eq!(t, Target { bucket: Some("bkt".into()), key: Some("a/b".into()), virtual_host: true });
        let t = target("/", "my.bucket.s3.example.com");
        assert_eq!(t, Target { bucket: Some("my.bucket".into()), key: None, virtual_host: true });
        let t = target("//x", "bkt.localhost");
        assert_eq!(t.key.as_deref(), Some("/x"));
    }
}
