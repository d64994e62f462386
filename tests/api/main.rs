//! Depot's integration tests: one binary, a real server per test (see `common`), and one
//! module per area. Run against SQLite by default, and against PostgreSQL when
//! `DEPOT_TEST_DATABASE_URL=postgres://…` is set.

mod auth;
mod buckets;
mod common;
mod delete;
mod health;
mod listing;
mod objects;
mod ranges;
mod smoke;
mod unsupported;
mod write_path;
