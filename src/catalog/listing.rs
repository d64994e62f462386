//! Listing pages as index range scans.
//!
//! A page reads the `objects_live` index from the marker onwards, at most one row past
//! the page, and when a delimiter rolls keys up into a common prefix it seeks past the
//! whole prefix instead of reading its keys. With a delimiter it reads in small batches
//! that grow while they hold plain keys, so that seeking past many prefixes does not
//! read (and drop) a page's worth of rows per prefix. A page never costs a scan of the
//! bucket: it reads a small multiple of its own size ([`ObjectListing::rows_read`]).

use serde::Deserialize;

use super::model::VersionColumns;
use super::paging::{Next, Pager};
use super::{Catalog, CatalogError, CatalogResult, Dialect, ObjectVersion};

/// One live object in a listing. The page statement returns each as a JSON array of
/// these fields in this order ([`page_query`]).
#[derive(Debug, Clone, Deserialize)]
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
    /// Index entries the page read: its cost, whatever the size of the bucket.
    pub rows_read: u64,
}

/// A page of versions and delete markers, keys ascending and each key's versions newest
/// first, and common prefixes.
#[derive(Debug, Clone, Default)]
pub struct VersionListing {
    pub versions: Vec<ObjectVersion>,
    pub common_prefixes: Vec<String>,
    pub is_truncated: bool,
    pub next_key_marker: Option<String>,
    pub next_version_id_marker: Option<String>,
}

/// Rows a delimited listing reads at once after a seek: the next common prefix may
/// start at the very next key.
const PROBE_ROWS: usize = 8;

/// Where a scan resumes.
enum Resume {
    Including(String),
    After(String),
}

/// Where a versions scan resumes: within a key (its versions older than a row id), or
/// at a key.
enum VersionResume {
    OlderThan(String, i64),
    Keys(Resume),
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
        let mut pager = Pager::new(prefix, delimiter, after, max);
        let mut probe = PROBE_ROWS;
        'scan: loop {
            // One row more than the page needs tells whether the page is truncated.
            let wanted = pager.room() + 1;
            let batch = if delimiter.is_some() { wanted.min(probe) } else { wanted } as i64;
            let (inclusive, bound) = match &from {
                Resume::Including(k) => (true, k.as_str()),
                Resume::After(k) => (false, k.as_str()),
            };
            let rows = self.page_rows(inclusive, bucket_id, bound, batch).await?;
            page.rows_read += rows.len() as u64;
            let exhausted = (rows.len() as i64) < batch;
            for row in rows {
                match pager.next(&row.key) {
                    Next::Stop => break 'scan,
                    Next::Skip(common) => {
                        from = Resume::Including(successor(&common));
                        probe = PROBE_ROWS;
                        continue 'scan;
                    }
                    Next::Prefix(common) => {
                        from = Resume::Including(successor(&common));
                        probe = PROBE_ROWS;
                        page.next_marker = Some(common.clone());
                        page.common_prefixes.push(common);
                        continue 'scan;
                    }
                    Next::Entry => {}
                }
                page.next_marker = Some(row.key.clone());
                from = Resume::After(row.key.clone());
                page.objects.push(row);
            }
            if exhausted {
                break;
            }
            // A whole batch of plain keys: more are likely, so read more at once.
            probe = probe.saturating_mul(2);
        }
        page.is_truncated = pager.truncated();
        Ok(page)
    }

    /// The live objects of the bucket from `bound` on, in key order, at most `limit`:
    /// one statement and one row, however many objects (see [`page_query`]).
    async fn page_rows(&self, inclusive: bool, bucket_id: i64, bound: &str, limit: i64) -> CatalogResult<Vec<ListedObject>> {
        let json: String = sqlx::query_scalar(&page_query(self.dialect, inclusive)).bind(bucket_id).bind(bound).bind(limit).fetch_one(self.reader()).await?;
        let mut rows: Vec<ListedObject> = serde_json::from_str(&json).map_err(|e| CatalogError::Corrupt(format!("a listing page's rows: {e}")))?;
        // SQL leaves the order of an aggregate's input unspecified. The rows arrive in key
        // order (the scan's) in practice, and sorting a sorted vector is one pass. Byte
        // order is the index's order on both engines (BINARY, COLLATE "C").
        rows.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(rows)
    }
}

impl Catalog {
    /// Lists every version and delete marker of a bucket under `prefix`, in S3's order
    /// (keys ascending, each key's versions newest first), after the key marker, rolled
    /// up at `delimiter`. `after_version` is the row id of the version-id marker, when one
    /// was given: listing resumes with that key's older versions. Like
    /// [`list_objects`](Self::list_objects), every read is a range scan of the
    /// `objects_key_id` index.
    pub async fn list_versions(
        &self,
        bucket_id: i64,
        prefix: &str,
        delimiter: Option<&str>,
        key_marker: Option<&str>,
        after_version: Option<i64>,
        max: usize,
    ) -> CatalogResult<VersionListing> {
        let mut page = VersionListing::default();
        if max == 0 {
            return Ok(page);
        }
        let mut from = match (key_marker, after_version) {
            (Some(k), Some(id)) if k >= prefix => VersionResume::OlderThan(k.to_owned(), id),
            (Some(k), None) if k >= prefix => VersionResume::Keys(Resume::After(k.to_owned())),
            _ => VersionResume::Keys(Resume::Including(prefix.to_owned())),
        };
        let mut pager = Pager::new(prefix, delimiter, key_marker, max);
        let mut probe = PROBE_ROWS;
        'scan: loop {
            let wanted = pager.room() + 1;
            let batch = if delimiter.is_some() { wanted.min(probe) } else { wanted } as i64;
            let json: String = match &from {
                VersionResume::OlderThan(key, id) => {
                    sqlx::query_scalar(&older_versions_query(self.dialect)).bind(bucket_id).bind(key).bind(*id).bind(batch).fetch_one(self.reader()).await?
                }
                VersionResume::Keys(resume) => {
                    let (inclusive, bound) = match resume {
                        Resume::Including(k) => (true, k),
                        Resume::After(k) => (false, k),
                    };
                    sqlx::query_scalar(&versions_query(self.dialect, inclusive)).bind(bucket_id).bind(bound).bind(batch).fetch_one(self.reader()).await?
                }
            };
            let rows = version_rows(&json)?;
            let exhausted = (rows.len() as i64) < batch;
            for version in rows {
                match pager.next(&version.key) {
                    Next::Stop => break 'scan,
                    Next::Skip(common) => {
                        from = VersionResume::Keys(Resume::Including(successor(&common)));
                        probe = PROBE_ROWS;
                        continue 'scan;
                    }
                    Next::Prefix(common) => {
                        from = VersionResume::Keys(Resume::Including(successor(&common)));
                        probe = PROBE_ROWS;
                        page.next_key_marker = Some(common.clone());
                        page.next_version_id_marker = None;
                        page.common_prefixes.push(common);
                        continue 'scan;
                    }
                    Next::Entry => {}
                }
                from = VersionResume::OlderThan(version.key.clone(), version.id);
                page.next_key_marker = Some(version.key.clone());
                page.next_version_id_marker = Some(version.version_id.clone());
                page.versions.push(version);
            }
            if exhausted {
                match from {
                    // The key's remaining versions are done: go on with the next keys.
                    VersionResume::OlderThan(key, _) => from = VersionResume::Keys(Resume::After(key)),
                    VersionResume::Keys(_) => break,
                }
            } else {
                probe = probe.saturating_mul(2);
            }
        }
        page.is_truncated = pager.truncated();
        Ok(page)
    }
}

/// The columns of a [`ListedObject`], in its fields' order (JSON arrays are read by
/// position: a unit test holds the two together).
const LISTED_COLUMNS: &str = "key, size, etag, last_modified, owner_id, storage_class, checksum_algorithm, checksum_type";

/// The one statement behind every listing page: the live keys of bucket `$1` from `$2` on
/// (inclusive or not), in key order, at most `$3` of them. A range scan of the
/// `objects_live` index; public so that tests can check its query plan.
///
/// The page comes back as one row holding a JSON array of [`ListedObject`]s. Returned
/// as rows, a page of 1,000 objects cost about 17 µs of server CPU per object, most of
/// it in sqlx moving each row and value between threads and into the `Any` driver's
/// types; the database builds the array in a fraction of that.
pub fn page_query(dialect: Dialect, inclusive: bool) -> String {
    let op = if inclusive { ">=" } else { ">" };
    let columns = LISTED_COLUMNS;
    let scan = format!("SELECT {columns} FROM objects WHERE bucket_id = $1 AND key {op} $2 AND is_latest = 1 AND is_delete_marker = 0 ORDER BY key LIMIT $3");
    dialect.rows_as_json(columns, &scan)
}

/// The versions of bucket `$1` from key `$2` on (inclusive or not), keys ascending and
/// each key's versions newest first, at most `$3`: a range scan of `objects_key_id`.
/// One row, a JSON array of the versions' [`ObjectVersion::COLUMNS`] (as
/// [`page_query`]).
pub fn versions_query(dialect: Dialect, inclusive: bool) -> String {
    let op = if inclusive { ">=" } else { ">" };
    let scan = format!("SELECT {} FROM objects WHERE bucket_id = $1 AND key {op} $2 ORDER BY key, id DESC LIMIT $3", ObjectVersion::COLUMNS);
    dialect.rows_as_json(ObjectVersion::COLUMNS, &scan)
}

/// The versions of key `$2` in bucket `$1` older than row `$3`, newest first, at most
/// `$4`; one row, as [`versions_query`].
pub fn older_versions_query(dialect: Dialect) -> String {
    let scan = format!("SELECT {} FROM objects WHERE bucket_id = $1 AND key = $2 AND id < $3 ORDER BY id DESC LIMIT $4", ObjectVersion::COLUMNS);
    dialect.rows_as_json(ObjectVersion::COLUMNS, &scan)
}

/// The versions of a listing statement's JSON array, in S3's order (keys ascending, each
/// key's versions newest first: the scan's order, restored should the engine have
/// aggregated them in another).
fn version_rows(json: &str) -> CatalogResult<Vec<ObjectVersion>> {
    let columns: Vec<VersionColumns> = serde_json::from_str(json).map_err(|e| CatalogError::Corrupt(format!("a listing page's versions: {e}")))?;
    let mut versions = columns.into_iter().map(ObjectVersion::try_from).collect::<CatalogResult<Vec<_>>>()?;
    versions.sort_by(|a, b| a.key.cmp(&b.key).then(b.id.cmp(&a.id)));
    Ok(versions)
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
    use serde::de::{self, DeserializeOwned, Error as _, Visitor};

    use super::{successor, ListedObject, ObjectVersion, VersionColumns, LISTED_COLUMNS};

    /// Catches the field names serde passes to `deserialize_struct`, then stops.
    struct FieldNames<'a>(&'a mut &'static [&'static str]);

    impl<'de> de::Deserializer<'de> for FieldNames<'_> {
        type Error = de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(Self::Error::custom("not a struct"))
        }

        fn deserialize_struct<V: Visitor<'de>>(self, _: &'static str, fields: &'static [&'static str], _: V) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(Self::Error::custom("fields read"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }

    fn fields_of<T: DeserializeOwned>() -> Vec<&'static str> {
        let mut fields: &'static [&'static str] = &[];
        let _ = T::deserialize(FieldNames(&mut fields));
        fields.to_vec()
    }

    #[test]
    fn json_rows_are_read_in_the_order_the_statements_select() {
        // A listing's rows arrive as JSON arrays and are read by position: two columns of
        // one type swapped would go unnoticed anywhere else.
        assert_eq!(fields_of::<ListedObject>(), LISTED_COLUMNS.split(", ").collect::<Vec<_>>());
        let version_columns: Vec<&str> = ObjectVersion::COLUMNS.split(',').map(str::trim).collect();
        assert_eq!(fields_of::<VersionColumns>(), version_columns);
    }

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
