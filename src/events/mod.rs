//! Events: the schema of what Depot publishes about every change.
//!
//! Changes write events into the catalog's outbox in their own transaction
//! (`catalog::outbox`); the relay publishes them (to Kafka, or in-process to the indexer).

pub mod schema;

pub use schema::{Event, EventType, ObjectState};
