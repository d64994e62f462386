//! Depot's integration tests: one binary, a real server per test (see `common`), and one
//! module per area. Run against SQLite by default, and against PostgreSQL when
//! `DEPOT_TEST_DATABASE_URL=postgres://…` is set.

mod common;
mod smoke;
mod events;
mod events_support;
mod index;
mod search;
