//! Depot: an S3-compatible object store.
//!
//! The crate is the server; the wire protocol lives in the `s3api` crate, which this one
//! drives. Module map, in dependency order:
//!
//! - [`config`]: flags and `DEPOT_*` variables.
//! - [`server`]: listener, graceful shutdown, the per-request pipeline, and the S3 path
//!   (route → authenticate → dispatch); [`admin`]: the JSON API under `/_depot/`;
//!   [`cli`]: `depot admin`, on a running server or directly on the catalog.
//! - [`auth`]: principals, the authentication gate, root credentials, ACLs and the pure
//!   authorization rules.
//! - [`bucket`], [`object`], [`multipart`]: the S3 operations, one family per file.
//! - [`catalog`]: users, keys, buckets, versions, uploads and the outbox, in SQLite or
//!   PostgreSQL; [`storage`]: blob files and their garbage collection; [`events`]: the
//!   event schema written to the outbox, and the relay that publishes it (Kafka or
//!   in-process); [`indexer`]: the idempotent consumer building the search index and
//!   statistics, and the queries over them.
//!
//! Nothing below the handlers knows HTTP or XML; the catalog knows nothing of files, and
//! the blob store nothing of keys.

pub mod admin;
pub mod auth;
pub mod bucket;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod error;
pub mod events;
pub mod indexer;
pub mod multipart;
pub mod object;
pub mod server;
pub mod storage;
