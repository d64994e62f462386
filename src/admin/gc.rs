//! The pause of blob collection a backup takes, as root administration:
//!
//! - `GET /_depot/admin/gc` → `{"paused_until": "<RFC 3339>" | null}`
//! - `POST /_depot/admin/gc/pause?for_secs=N` (default 3600, at most a week; a longer
//!   pause in force stays) → the same
//! - `POST /_depot/admin/gc/resume` → the same (`null`): ends the pause, whoever set it
//!
//! The pause is a row in the catalog (`Catalog::pause_gc`), so it holds for every node,
//! and it ends by itself at its deadline: a backup script that dies does not stop
//! collection for good. `depot admin gc` prints these documents, through a server or
//! directly on the catalog. The collector (`storage::gc`) is what obeys the pause.

use std::time::Duration;

use serde_json::{json, Value};

use super::json::rfc3339;
use crate::catalog::{now_ms, Catalog, CatalogResult};

/// How long a pause lasts unless asked otherwise.
pub const DEFAULT_PAUSE: Duration = Duration::from_secs(3600);
/// The longest pause one request may set.
pub const MAX_PAUSE: Duration = Duration::from_secs(7 * 24 * 3600);

/// Whether collection is paused, and until when.
pub async fn gc_report(catalog: &Catalog) -> CatalogResult<Value> {
    let until = catalog.gc_paused_until().await?;
    Ok(json!({ "paused_until": until.map(rfc3339) }))
}

/// The pause asked for as `for_secs` (`None`: the default), or why it is refused.
pub fn pause_length(for_secs: Option<u64>) -> Result<Duration, String> {
    let length = for_secs.map_or(DEFAULT_PAUSE, Duration::from_secs);
    if length.is_zero() || length > MAX_PAUSE {
        return Err(format!("a pause lasts from 1 to {} seconds", MAX_PAUSE.as_secs()));
    }
    Ok(length)
}

/// Pauses collection for `length` from now (a longer pause in force stays) and reports
/// the pause.
pub async fn pause(catalog: &Catalog, length: Duration) -> CatalogResult<Value> {
    catalog.pause_gc(now_ms() + length.as_millis() as i64).await?;
    gc_report(catalog).await
}

/// Ends a pause and reports that none is in force.
pub async fn resume(catalog: &Catalog) -> CatalogResult<Value> {
    catalog.resume_gc().await?;
    gc_report(catalog).await
}
