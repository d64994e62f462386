//! The event document: Depot's own fields at the top level, beside an AWS S3
//! notification `Records` array holding one record, so that consumers of AWS or MinIO
//! bucket notifications can read Depot's stream unchanged.
//!
//! Built when a change is written (into the outbox, in the change's transaction); the
//! relay fills the `sequencer` from the outbox row id when it publishes. This module
//! only describes and (de)serialises events: it never writes or sends them. The schema
//! is documented, with an example, in the README ("The event document").

use chrono::{DateTime, Utc};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::catalog::OutboxRow;

/// The schema version of the top-level Depot fields.
pub const SCHEMA_VERSION: u32 = 1;

/// The kind of change an event describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventType {
    BucketCreated,
    BucketUpdated,
    BucketDeleted,
    ObjectCreated,
    ObjectUpdated,
    ObjectDeleted,
}

/// The object a change concerns, as the event reports it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectState {
    pub key: String,
    pub version_id: Option<String>,
    /// The catalog's row id of the version: larger is newer for the same key.
    pub version_seq: i64,
    pub is_latest: bool,
    pub is_delete_marker: bool,
    pub size: i64,
    /// Unquoted.
    pub e_tag: String,
    pub content_type: Option<String>,
    pub last_modified: i64,
    pub owner: String,
    pub user_metadata: serde_json::Map<String, Value>,
    pub tags: serde_json::Map<String, Value>,
    pub acl: Option<Value>,
}

/// One event, as written to the outbox and published.
///
/// The subject's main fields (`key`, `versionId`, `size`, `eTag`, `contentType`,
/// `userMetadata`, `tags`, `acl`) sit at the top level for consumers; `object` (object
/// events) and `bucketState` (bucket events) carry the full state, and are what the
/// indexer reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub event_id: String,
    pub schema_version: u32,
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// The AWS notification event name, e.g. `ObjectCreated:Put`.
    pub event_name: String,
    pub time: DateTime<Utc>,
    pub principal: String,
    pub bucket: String,
    pub bucket_owner: String,
    pub region: String,
    pub request_id: String,
    pub source_ip: String,
    /// The object key; `null` for bucket events.
    #[serde(default)]
    pub key: Option<String>,
    /// The version id clients see: `null` in a bucket that was never versioned.
    #[serde(default)]
    pub version_id: Option<String>,
    #[serde(default)]
    pub size: Option<i64>,
    /// Unquoted.
    #[serde(default)]
    pub e_tag: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
    /// `x-amz-meta-*` names (without the prefix) and values.
    #[serde(default)]
    pub user_metadata: serde_json::Map<String, Value>,
    /// The object's tags, or the bucket's for bucket events.
    #[serde(default)]
    pub tags: serde_json::Map<String, Value>,
    /// The object's ACL, or the bucket's for bucket events.
    #[serde(default)]
    pub acl: Option<Value>,
    /// Set when the change concerns an object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectState>,
    /// For bucket changes: the bucket's settings after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_state: Option<Value>,
    /// Hex, fixed width: larger is later. Filled by the relay from the outbox position.
    #[serde(default)]
    pub sequencer: String,
}

/// The event name of a delete that wrote a delete marker (rather than removing a version).
pub const DELETE_MARKER_CREATED: &str = "ObjectRemoved:DeleteMarkerCreated";

const KEY_ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

impl Event {
    /// The fixed-width hex sequencer of an outbox position.
    pub fn sequencer_for(position: i64) -> String {
        format!("{:016X}", position.max(0))
    }

    /// The outbox position a sequencer stands for (0 when absent or malformed).
    pub fn position(&self) -> i64 {
        i64::from_str_radix(&self.sequencer, 16).unwrap_or(0)
    }

    /// Whether this event removes the version it names for good (a delete by version
    /// id, or of the null version), rather than writing one (a delete marker counts as
    /// a written version).
    pub fn removes_version(&self) -> bool {
        self.event_type == EventType::ObjectDeleted && self.event_name != DELETE_MARKER_CREATED
    }

    /// The Kafka message key: `bucket/key`, or the bucket name for bucket events, so
    /// that one key's events stay in one partition, in order.
    pub fn message_key(&self) -> String {
        match &self.object {
            Some(o) => format!("{}/{}", self.bucket, o.key),
            None => self.bucket.clone(),
        }
    }

    /// The published document: these fields plus the AWS `Records` array.
    pub fn to_document(&self) -> Value {
        let mut doc = serde_json::to_value(self).unwrap_or(Value::Null);
        let object = self.object.as_ref();
        let record = json!({
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": self.region,
            "eventTime": self.time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            "eventName": self.event_name,
            "userIdentity": { "principalId": self.principal },
            "requestParameters": { "sourceIPAddress": self.source_ip },
            "responseElements": { "x-amz-request-id": self.request_id, "x-amz-id-2": self.request_id },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "depot",
                "bucket": {
                    "name": self.bucket,
                    "ownerIdentity": { "principalId": self.bucket_owner },
                    "arn": format!("arn:aws:s3:::{}", self.bucket),
                },
                "object": {
                    "key": object.map(|o| utf8_percent_encode(&o.key, KEY_ENCODE).to_string().replace("%20", "+")).unwrap_or_default(),
                    "size": object.map_or(0, |o| o.size),
                    "eTag": object.map(|o| o.e_tag.clone()).unwrap_or_default(),
                    "versionId": object.and_then(|o| o.version_id.clone()),
                    "sequencer": self.sequencer,
                    "contentType": object.and_then(|o| o.content_type.clone()),
                    "userMetadata": object.map(|o| Value::Object(o.user_metadata.clone())).unwrap_or(Value::Null),
                },
            },
        });
        if let Value::Object(map) = &mut doc {
            map.insert("Records".to_owned(), Value::Array(vec![record]));
        }
        doc
    }
}

/// Why an event cannot be indexed at all (it is skipped and counted, never retried).
#[derive(Debug, thiserror::Error)]
pub enum RejectedEvent {
    #[error("not an event document: {0}")]
    Unreadable(String),
    #[error("schema version {0} is newer than this indexer understands ({SCHEMA_VERSION})")]
    UnknownSchema(u32),
    #[error("object event without a version position")]
    MissingVersion,
}

/// Parses and checks a published event document (or an outbox payload).
pub fn parse_event(payload: &[u8]) -> Result<Event, RejectedEvent> {
    let event: Event = serde_json::from_slice(payload).map_err(|e| RejectedEvent::Unreadable(e.to_string()))?;
    if event.schema_version > SCHEMA_VERSION {
        return Err(RejectedEvent::UnknownSchema(event.schema_version));
    }
    if event.object.as_ref().is_some_and(|o| o.version_seq <= 0) {
        return Err(RejectedEvent::MissingVersion);
    }
    Ok(event)
}

/// The event an outbox row holds, its `sequencer` filled from the row's position: what
/// the relay publishes, and what the indexer applies when it reads the outbox itself.
pub fn outbox_event(row: &OutboxRow) -> Result<Event, RejectedEvent> {
    let mut event = parse_event(row.payload.as_bytes())?;
    event.sequencer = Event::sequencer_for(row.id);
    Ok(event)
}
