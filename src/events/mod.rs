//! Events: the schema of what Depot publishes about every change, and how a change
//! records its event.
//!
//! A change writes its event into the catalog's outbox in its own transaction
//! ([`Event::record`]); the relay publishes outbox rows (to Kafka, or in-process to the
//! indexer). This module owns the outbox-to-transport half of the event flow; it never
//! applies events to the index itself (that is the indexer's).
//!
//! - [`schema`]: the event document.
//! - [`relay`]: the background loop draining the outbox through a transport, with
//!   backoff and pruning.
//! - [`kafka`]: the Kafka transport (producer, topic creation).
//! - [`metrics`]: counters and the handle the server keeps.
//!
//! The in-process transport and the Kafka consumer belong to the indexer, which sits
//! above this module: events never import the indexer.
//!
//! Layer 5 of `crate::LAYERS`: may import only `config`, `catalog` and `storage`.

pub mod kafka;
pub mod metrics;
pub mod relay;
pub mod schema;

pub use metrics::{EventMetrics, EventsHandle};

pub use schema::{Event, EventType, ObjectState};

use serde_json::{Map, Value};

use crate::catalog::{Bucket, CatalogResult, ObjectVersion, Tx, Versioning};

/// Who caused a change, and from where.
#[derive(Debug, Clone)]
pub struct EventContext {
    pub principal: String,
    pub request_id: String,
    pub source_ip: String,
    pub region: String,
}

impl Event {
    fn new(ctx: &EventContext, event_type: EventType, event_name: &str, bucket: &Bucket) -> Event {
        Event {
            event_id: uuid::Uuid::new_v4().to_string(),
            schema_version: schema::SCHEMA_VERSION,
            event_type,
            event_name: event_name.to_owned(),
            time: chrono::Utc::now(),
            principal: ctx.principal.clone(),
            bucket: bucket.name.clone(),
            bucket_owner: bucket.owner_id.clone(),
            region: ctx.region.clone(),
            request_id: ctx.request_id.clone(),
            source_ip: ctx.source_ip.clone(),
            key: None,
            version_id: None,
            size: None,
            e_tag: None,
            content_type: None,
            user_metadata: Map::new(),
            tags: Map::new(),
            acl: None,
            object: None,
            bucket_state: None,
            sequencer: String::new(),
        }
    }

    /// A bucket change, carrying the bucket's settings after it.
    pub fn for_bucket(ctx: &EventContext, event_type: EventType, event_name: &str, bucket: &Bucket) -> Event {
        let mut event = Event::new(ctx, event_type, event_name, bucket);
        let versioning = match bucket.versioning {
            Versioning::Unversioned => Value::Null,
            Versioning::Enabled => Value::from("Enabled"),
            Versioning::Suspended => Value::from("Suspended"),
        };
        event.tags = tags_map(bucket.tags.as_deref().unwrap_or_default());
        event.acl = serde_json::from_str::<Value>(&bucket.acl).ok();
        event.bucket_state = Some(serde_json::json!({
            "owner": bucket.owner_id,
            "region": bucket.region,
            "createdAt": bucket.created_at,
            "versioning": versioning,
            "tags": event.tags,
            "acl": event.acl,
        }));
        event
    }

    /// An object change, carrying the version it concerns.
    pub fn for_object(ctx: &EventContext, event_type: EventType, event_name: &str, bucket: &Bucket, version: &ObjectVersion) -> Event {
        let mut event = Event::new(ctx, event_type, event_name, bucket);
        let object = ObjectState {
            key: version.key.clone(),
            version_id: version.shown_version_id(bucket.versioning).map(str::to_owned),
            version_seq: version.id,
            is_latest: version.is_latest,
            is_delete_marker: version.is_delete_marker,
            size: version.size,
            e_tag: version.etag.trim_matches('"').to_owned(),
            content_type: (!version.is_delete_marker).then(|| version.metadata.content_type_or_default().to_owned()),
            last_modified: version.last_modified,
            owner: version.owner_id.clone(),
            user_metadata: version.metadata.user.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect(),
            tags: tags_map(&version.tags),
            acl: version.acl.as_deref().and_then(|a| serde_json::from_str(a).ok()),
        };
        event.key = Some(object.key.clone());
        event.version_id = object.version_id.clone();
        event.size = Some(object.size);
        event.e_tag = Some(object.e_tag.clone());
        event.content_type = object.content_type.clone();
        event.user_metadata = object.user_metadata.clone();
        event.tags = object.tags.clone();
        event.acl = object.acl.clone();
        event.object = Some(object);
        event
    }

    /// Writes the event into the outbox of the transaction making the change.
    pub async fn record(&self, tx: &mut Tx) -> CatalogResult<()> {
        let payload = serde_json::to_string(self).map_err(|e| crate::catalog::CatalogError::Corrupt(e.to_string()))?;
        let key = self.object.as_ref().map(|o| o.key.as_str());
        tx.append_event(&self.event_id, &self.bucket, key, &payload).await
    }
}

fn tags_map(tags: &[(String, String)]) -> Map<String, Value> {
    tags.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect()
}
