//! Depot: an S3-compatible object store.
//!
//! The crate is the server; the wire protocol lives in the `s3api` crate, which this one
//! drives. Its modules form layers, and every `use crate::…` points down, never up or
//! sideways into a later module. Bottom to top:
//!
//! 1. [`config`]: settings from flags and `DEPOT_*` variables. A leaf: imports nothing
//!    of the crate.
//! 2. [`catalog`]: users, keys, buckets, versions, uploads and the outbox, in SQLite or
//!    PostgreSQL.
//! 3. [`storage`]: blob files and their garbage collection (which asks the catalog what
//!    is still referenced).
//! 4. [`encryption`]: encryption at rest: the key ring, data keys wrapped by it (or by a
//!    customer's key), and the chunked authenticated format of encrypted parts.
//! 5. [`events`]: the event schema written to the outbox, and the relay that publishes
//!    it (Kafka, or a transport handed to it).
//! 6. [`indexer`]: the idempotent consumer of events (in-process transport, Kafka
//!    consumer), the search index and statistics, and the start of the event flow.
//! 7. [`error`]: the server's error type and its one mapping to S3 errors.
//! 8. [`auth`]: principals, authentication, root credentials, accounts, ACLs, the pure
//!    authorization rules, the pipeline's bucket-level authorization, rate limits.
//! 9. [`http`]: what handlers work with: `AppState`, `S3Request`, the request body
//!    adapter, response builders, ACL request/response helpers.
//! 10. Handlers, each below the next: [`bucket`], [`object`], [`multipart`], [`sts`]
//!     (the S3 and STS operations, one family per file) and [`admin`] (the JSON API
//!     under `/_depot/`).
//!     Between `multipart` and `sts` sit two background workers: [`lifecycle`], which
//!     applies bucket lifecycle rules through the same delete path as DeleteObject, and
//!     [`access_log`], which writes server access log objects through PutObject's path.
//! 11. [`console`]: the web console's files, served under `/_depot/console/`.
//! 12. [`server`]: listener, graceful shutdown, the per-request pipeline and the S3
//!     path (route → rate limit → authenticate → authorize → dispatch).
//! 13. [`cli`]: the command line and `depot admin`.
//!
//! Nothing below `http` knows HTTP or XML; the catalog knows nothing of files, and the
//! blob store nothing of keys. The order is [`LAYERS`]; a test reads the sources and
//! fails on any import against it.

pub mod access_log;
pub mod admin;
pub mod auth;
pub mod bucket;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod console;
pub mod encryption;
pub mod error;
pub mod events;
pub mod http;
pub mod indexer;
pub mod lifecycle;
pub mod multipart;
pub mod object;
pub mod server;
pub mod storage;
pub mod sts;

/// The crate's top-level modules, bottom layer first: a module may import only from
/// modules listed before it.
pub const LAYERS: &[&str] = &[
    "config",
    "catalog",
    "storage",
    "encryption",
    "events",
    "indexer",
    "error",
    "auth",
    "http",
    "bucket",
    "object",
    "multipart",
    "lifecycle",
    "access_log",
    "sts",
    "admin",
    "console",
    "server",
    "cli",
];

#[cfg(test)]
mod layering;
