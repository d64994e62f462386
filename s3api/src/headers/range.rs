//! The `Range` header (`bytes=a-b`, `a-`, `-n`) and `x-amz-copy-source-range`.

use crate::error::{S3Error, S3ErrorCode, S3Result};

/// A single byte range as sent, not yet resolved against an object size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeSpec {
    /// `bytes=a-b` (b inclusive) or `bytes=a-` (b = None).
    FromTo(u64, Option<u64>),
    /// `bytes=-n`: the last n bytes.
    Suffix(u64),
}

impl RangeSpec {
    /// Parses a Range header. Syntactically invalid or multi-range values give `None`:
    /// S3, like HTTP, then ignores the header and serves the whole object.
    pub fn parse(value: &str) -> Option<RangeSpec> {
        let spec = value.trim().strip_prefix("bytes=")?.trim();
        if spec.contains(',') {
            return None;
        }
        let (start, end) = spec.split_once('-')?;
        let (start, end) = (start.trim(), end.trim());
        if start.is_empty() {
            return end.parse().ok().map(RangeSpec::Suffix);
        }
        let start: u64 = start.parse().ok()?;
        if end.is_empty() {
            return Some(RangeSpec::FromTo(start, None));
        }
        let end: u64 = end.parse().ok()?;
        (start <= end).then_some(RangeSpec::FromTo(start, Some(end)))
    }

    /// The inclusive byte range within an object of `size` bytes, or `InvalidRange` (416)
    /// when nothing of it lies inside the object.
    pub fn resolve(self, size: u64) -> S3Result<(u64, u64)> {
        let unsatisfiable = || {
            S3Error::new(S3ErrorCode::InvalidRange)
                .extra("RangeRequested", self.to_string())
                .extra("ActualObjectSize", size.to_string())
                .header("content-range", format!("bytes */{size}"))
        };
        match self {
            RangeSpec::FromTo(start, _) if start >= size => Err(unsatisfiable()),
            RangeSpec::FromTo(start, end) => Ok((start, end.map_or(size - 1, |e| e.min(size - 1)))),
            RangeSpec::Suffix(0) => Err(unsatisfiable()),
            RangeSpec::Suffix(_) if size == 0 => Err(unsatisfiable()),
            RangeSpec::Suffix(n) => Ok((size.saturating_sub(n), size - 1)),
        }
    }
}

impl std::fmt::Display for RangeSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RangeSpec::FromTo(a, Some(b)) => write!(f, "bytes={a}-{b}"),
            RangeSpec::FromTo(a, None) => write!(f, "bytes={a}-"),
            RangeSpec::Suffix(n) => write!(f, "bytes=-{n}"),
        }
    }
}

/// `x-amz-copy-source-range: bytes=a-b`, both ends required and inside the source.
pub fn parse_copy_source_range(value: &str, source_size: u64) -> S3Result<(u64, u64)> {
    let bad = || {
        S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
        )
        .extra("ArgumentName", "x-amz-copy-source-range")
        .extra("ArgumentValue", value)
    };
    match RangeSpec::parse(value) {
        Some(RangeSpec::FromTo(a, Some(b))) => {
            if b >= source_size {
                return Err(S3Error::with_message(S3ErrorCode::InvalidRange, "The requested range is not satisfiable")
                    .extra("RangeRequested", value)
                    .extra("ActualObjectSize", source_size.to_string()));
            }
            Ok((a, b))
        }
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(RangeSpec::parse("bytes=0-9"), Some(RangeSpec::FromTo(0, Some(9))));
        assert_eq!(RangeSpec::parse("bytes=5-"), Some(RangeSpec::FromTo(5, None)));
        assert_eq!(RangeSpec::parse("bytes=-3"), Some(RangeSpec::Suffix(3)));
        assert_eq!(RangeSpec::parse("bytes=9-1"), None);
        assert_eq!(RangeSpec::parse("bytes=0-1,4-5"), None);
        assert_eq!(RangeSpec::parse("items=0-1"), None);
        assert_eq!(RangeSpec::parse("bytes=x-1"), None);
    }

    #[test]
    fn resolves_against_size() {
        assert_eq!(RangeSpec::FromTo(0, Some(9)).resolve(5).unwrap(), (0, 4));
        assert_eq!(RangeSpec::FromTo(2, None).resolve(5).unwrap(), (2, 4));
        assert_eq!(RangeSpec::Suffix(2).resolve(5).unwrap(), (3, 4));
        assert_eq!(RangeSpec::Suffix(50).resolve(5).unwrap(), (0, 4));
        let err = RangeSpec::FromTo(5, None).resolve(5).unwrap_err();
        assert_eq!(err.code, S3ErrorCode::InvalidRange);
        assert_eq!(err.headers, vec![("content-range", "bytes */5".to_owned())]);
        assert!(RangeSpec::Suffix(0).resolve(5).is_err());
        assert!(RangeSpec::FromTo(0, None).resolve(0).is_err());
    }

    #[test]
    fn copy_source_range() {
        assert_eq!(parse_copy_source_range("bytes=0-4", 10).unwrap(), (0, 4));
        assert_eq!(parse_copy_source_range("bytes=0-10", 10).unwrap_err().code, S3ErrorCode::InvalidRange);
        assert_eq!(parse_copy_source_range("bytes=3-", 10).unwrap_err().code, S3ErrorCode::InvalidArgument);
    }
}
