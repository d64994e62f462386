//! Depot's integration tests: one binary, a real server per test (see `common`), and one
//! module per area. Run against SQLite by default, and against PostgreSQL when
//! `DEPOT_TEST_DATABASE_URL=postgres://…` is set.

// Test and benchmark code may unwrap: a failure there is the report.
#![allow(clippy::unwrap_used)]

mod access_log;
mod accounts;
mod acl;
mod auth;
mod bodies;
mod bucket_settings;
mod buckets;
mod checksums;
mod common;
mod compose;
mod conditional;
mod copy;
mod cors;
mod delete;
mod events;
mod events_support;
mod faults_bodies;
mod faults_catalog;
mod faults_reads;
mod gc_pause;
mod health;
mod identity;
mod index;
mod integrity;
mod lifecycle;
mod listing;
mod multipart;
mod object_lock;
mod objects;
mod policies;
mod post_upload;
mod ranges;
mod rate_limit;
mod search;
mod security;
mod sigv2;
mod smoke;
mod sse;
mod sse_customer;
mod sse_kms;
mod sts;
mod tagging;
#[path = "../shared/tansu.rs"]
mod tansu;
mod tls;
mod unsupported;
mod versioning;
mod write_path;
