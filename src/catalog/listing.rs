//! Listing pages as index range scans.
//!
//! A page reads the `objects_live` index from the marker onwards, at most one row past
//! the page, and when a delimiter rolls keys up into a common prefix it seeks past the
//! whole prefix instead of reading its keys. A page never costs a scan of the bucket.

use sqlx::Row;

use super::{Catalog, CatalogResult};

/// One live object in a listing.
#[derive(Debug, Clone)]
pub struct ListedObject {
    pub key: String,
    pub size: i64,
    pub etag: String,
    pub last_modified: i64,
    pub owner_id: String,
    pub storage_class: String,
    pub checksum_algorithm: Option<String>,
    pub checksum_type: Option<String>,
}

/// A page of objects and common prefixes.
#[derive(Debug, Clone, Default)]
pub struct ObjectListing {
    pub objects: Vec<ListedObject>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    /// The last key or common prefix returned.
    pub next_marker: Option<String>,
}

/// Where a scan resumes.
enum Resume {
    Including(String),
    After(String),
}

impl Catalog {
    /// Lists the live objects of a bucket under `prefix`, after `after` (exclusive),
    /// rolling keys up at `delimiter`, at most `max` entries (objects + prefixes).
    pub async fn list_objects(&self, bucket_id: i64, prefix: &str, delimiter: Option<&str>, after: Option<&str>, max: usize) -> CatalogResult<ObjectListing> {
        let mut page = ObjectListing::default();
        if max == 0 {
            return Ok(page);
        }
        let mut from = match after {
            Some(a) if a >= prefix => Resume::After(a.to_owned()),
            _ => Resume::Including(prefix.to_owned()),
        };
        let mut count = 0usize;
        'scan: loop {
            // One row more than the page needs tells whether the page is truncated.
            let batch = (max - count + 1) as i64;
            let (op, bound) = match &from {
                Resume::Including(k) => (">=", k.as_str()),
                Resume::After(k) => (">", k.as_str()),
            };
            let sql = format!(
                "SELECT key, size, etag, last_modified, owner_id, storage_class, checksum_algorithm, checksum_type FROM objects \
                 WHERE bucket_id = $1 AND key {op} $2 AND is_latest = 1 AND is_delete_marker = 0 ORDER BY key LIMIT $3"
            );
            let rows = sqlx::query(&sql).bind(bucket_id).bind(bound).bind(batch).fetch_all(self.reader()).await?;
            let exhausted = (rows.len() as i64) < batch;
            for row in &rows {
                let key: String = row.try_get("key")?;
                if !key.starts_with(prefix) {
                    break 'scan;
                }
                let rolled_up = delimiter.and_then(|d| key[prefix.len()..].find(d).map(|i| key[..prefix.len() + i + d.len()].to_owned()));
                if let Some(common) = rolled_up {
                    if after.is_some_and(|a| common.as_str() <= a) {
                        // The marker lies inside this prefix: resume after it.
                        from = Resume::Including(successor(&common));
                        continue 'scan;
                    }
                    if count == max {
                        page.is_truncated = true;
                        break 'scan;
                    }
                    count += 1;
                    page.next_marker = Some(common.clone());
                    from = Resume::Including(successor(&common));
                    page.common_prefixes.push(common);
                    continue 'scan;
                }
                if count == max {
                    page.is_truncated = true;
                    break 'scan;
                }
                count += 1;
                page.next_marker = Some(key.clone());
                from = Resume::After(key.clone());
                page.objects.push(ListedObject {
                    key,
                    size: row.try_get("size")?,
                    etag: row.try_get("etag")?,
                    last_modified: row.try_get("last_modified")?,
                    owner_id: row.try_get("owner_id")?,
                    storage_class: row.try_get("storage_class")?,
                    checksum_algorithm: row.try_get("checksum_algorithm")?,
                    checksum_type: row.try_get("checksum_type")?,
                });
            }
            if exhausted {
                break;
            }
        }
        Ok(page)
    }
}

/// The smallest string greater than every string that starts with `prefix`: the last
/// character incremented (dropping trailing `char::MAX`es). Byte order and character
/// order agree in UTF-8, so this is a valid range bound for both engines.
pub fn successor(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let mut next = last as u32 + 1;
        if (0xD800..=0xDFFF).contains(&next) {
            next = 0xE000;
        }
        if let Some(c) = char::from_u32(next) {
            chars.push(c);
            return chars.into_iter().collect();
        }
    }
    // Every character was char::MAX: nothing sorts after; use a bound no key reaches.
    format!("{}{}", prefix, char::MAX)
}

#[cfg(test)]
mod tests {
    use super::successor;

    #[test]
    fn successor_bounds_the_prefix() {
        assert_eq!(successor("photos/"), "photos0");
        assert_eq!(successor("a"), "b");
        assert_eq!(successor("z\u{D7FF}"), "z\u{E000}");
        assert_eq!(successor("x\u{10FFFF}"), "y");
        for key in ["photos/", "photos/a", "photos/\u{10FFFF}x"] {
            assert!(key < successor("photos/").as_str());
        }
    }
}
