//! Statistics read from the index: objects, bytes and versions per bucket (kept by the
//! indexer), plus bytes of multipart uploads in progress (read from the catalog, which
//! no event describes). Totals and top buckets are computed over the buckets the
//! caller passes; this module does not decide who may see which bucket.

use std::collections::HashMap;

use sqlx::Row;

use super::IndexerError;
use crate::catalog::{Bucket, Catalog};

/// How many buckets the top lists hold.
pub const TOP_BUCKETS: usize = 10;

/// One bucket's statistics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BucketStats {
    pub name: String,
    /// Latest versions that are not delete markers.
    pub objects: i64,
    pub bytes: i64,
    /// Stored versions and delete markers.
    pub versions: i64,
    pub version_bytes: i64,
    /// Uploaded parts of multipart uploads in progress.
    pub multipart_bytes: i64,
}

/// Statistics over a set of buckets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub total_objects: i64,
    pub total_bytes: i64,
    pub bucket_count: usize,
    /// In name order.
    pub buckets: Vec<BucketStats>,
    pub top_by_objects: Vec<BucketStats>,
    pub top_by_bytes: Vec<BucketStats>,
}

/// Statistics of `buckets` (from the catalog: the buckets that exist now).
pub async fn stats(catalog: &Catalog, buckets: &[Bucket]) -> Result<Stats, IndexerError> {
    let rows = sqlx::query("SELECT bucket, objects, bytes, versions, version_bytes FROM index_bucket_stats").fetch_all(catalog.reader()).await?;
    let mut indexed: HashMap<String, BucketStats> = HashMap::with_capacity(rows.len());
    for row in &rows {
        let name: String = row.try_get("bucket")?;
        indexed.insert(
            name.clone(),
            BucketStats {
                name,
                objects: row.try_get("objects")?,
                bytes: row.try_get("bytes")?,
                versions: row.try_get("versions")?,
                version_bytes: row.try_get("version_bytes")?,
                multipart_bytes: 0,
            },
        );
    }
    let multipart = catalog.multipart_bytes_by_bucket().await?;
    let mut out = Stats { bucket_count: buckets.len(), ..Stats::default() };
    for bucket in buckets {
        let mut s = indexed.remove(&bucket.name).unwrap_or_else(|| BucketStats { name: bucket.name.clone(), ..BucketStats::default() });
        s.multipart_bytes = multipart.get(&bucket.id).copied().unwrap_or(0);
        out.total_objects += s.objects;
        out.total_bytes += s.bytes;
        out.buckets.push(s);
    }
    out.buckets.sort_by(|a, b| a.name.cmp(&b.name));
    out.top_by_objects = top(&out.buckets, |s| (s.objects, s.bytes));
    out.top_by_bytes = top(&out.buckets, |s| (s.bytes, s.objects));
    Ok(out)
}

/// The first [`TOP_BUCKETS`] by `rank`, largest first, ties by name.
fn top(buckets: &[BucketStats], rank: impl Fn(&BucketStats) -> (i64, i64)) -> Vec<BucketStats> {
    let mut sorted: Vec<BucketStats> = buckets.to_vec();
    sorted.sort_by(|a, b| rank(b).cmp(&rank(a)).then_with(|| a.name.cmp(&b.name)));
    sorted.truncate(TOP_BUCKETS);
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_lists_rank_largest_first_then_by_name() {
        let b = |name: &str, objects, bytes| BucketStats { name: name.into(), objects, bytes, ..BucketStats::default() };
        let all: Vec<BucketStats> = (0..12).map(|i| b(&format!("b{i:02}"), i, 100 - i)).collect();
        let by_objects = top(&all, |s| (s.objects, s.bytes));
        assert_eq!(by_objects.len(), TOP_BUCKETS);
        assert_eq!(by_objects[0].name, "b11");
        let by_bytes = top(&all, |s| (s.bytes, s.objects));
        assert_eq!(by_bytes[0].name, "b00");
    }
}
