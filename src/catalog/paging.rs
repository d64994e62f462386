//! The rules every S3 listing page follows, whatever it lists (objects, versions,
//! uploads): a key outside the prefix ends the page; a key holding the delimiter after
//! the prefix rolls up into a common prefix, counted once and skipped whole when the
//! marker lies in it; a page holds at most `max` entries and is truncated when one more
//! qualifies. Pure: the listings feed it keys in order and act on its answer (record,
//! seek past a prefix, stop). It reads nothing.

/// What to do with the next key of a scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Next {
    /// The page is complete: the key is past the prefix, or the page is full.
    Stop,
    /// The key lies in a common prefix the marker already passed: seek past it.
    Skip(String),
    /// A new common prefix, counted: record it, then seek past it.
    Prefix(String),
    /// A plain entry, counted: record it.
    Entry,
}

/// The state of one page.
#[derive(Debug)]
pub(super) struct Pager<'a> {
    prefix: &'a str,
    delimiter: Option<&'a str>,
    marker: Option<&'a str>,
    max: usize,
    count: usize,
    truncated: bool,
}

impl<'a> Pager<'a> {
    pub(super) fn new(prefix: &'a str, delimiter: Option<&'a str>, marker: Option<&'a str>, max: usize) -> Self {
        Pager { prefix, delimiter, marker, max, count: 0, truncated: false }
    }

    /// Decides about the next key of the scan, in key order.
    pub(super) fn next(&mut self, key: &str) -> Next {
        let Some(rest) = key.strip_prefix(self.prefix) else { return Next::Stop };
        let common = self.delimiter.and_then(|d| rest.find(d).map(|i| key[..self.prefix.len() + i + d.len()].to_owned()));
        if let Some(common) = &common {
            if self.marker.is_some_and(|m| common.as_str() <= m) {
                return Next::Skip(common.clone());
            }
        }
        if self.count == self.max {
            self.truncated = true;
            return Next::Stop;
        }
        self.count += 1;
        match common {
            Some(common) => Next::Prefix(common),
            None => Next::Entry,
        }
    }

    /// How many more entries the page may hold.
    pub(super) fn room(&self) -> usize {
        self.max - self.count
    }

    /// Whether an entry beyond the page qualified.
    pub(super) fn truncated(&self) -> bool {
        self.truncated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(pager: &mut Pager<'_>, keys: &[&str]) -> Vec<Next> {
        keys.iter().map(|k| pager.next(k)).collect()
    }

    #[test]
    fn prefix_bounds_the_page() {
        let mut p = Pager::new("a/", None, None, 10);
        assert_eq!(decide(&mut p, &["a/1", "a/2", "b"]), vec![Next::Entry, Next::Entry, Next::Stop]);
        assert!(!p.truncated());
    }

    #[test]
    fn delimiter_rolls_keys_up() {
        let mut p = Pager::new("", Some("/"), None, 10);
        assert_eq!(decide(&mut p, &["a/1", "b", "c/d/e"]), vec![Next::Prefix("a/".into()), Next::Entry, Next::Prefix("c/".into())]);
    }

    #[test]
    fn a_marker_inside_a_prefix_skips_it() {
        let mut p = Pager::new("", Some("/"), Some("a/5"), 10);
        assert_eq!(p.next("a/6"), Next::Skip("a/".into()));
        assert_eq!(p.next("b/1"), Next::Prefix("b/".into()));
        let mut p = Pager::new("", Some("/"), Some("a/"), 10);
        assert_eq!(p.next("a/x"), Next::Skip("a/".into()), "a marker equal to the prefix passed it");
    }

    #[test]
    fn one_more_entry_marks_the_page_truncated() {
        let mut p = Pager::new("", Some("/"), None, 2);
        assert_eq!(decide(&mut p, &["a", "b/1"]), vec![Next::Entry, Next::Prefix("b/".into())]);
        assert_eq!(p.room(), 0);
        assert_eq!(p.next("c"), Next::Stop);
        assert!(p.truncated());
    }
}
