//! Fault tests: the real `depot` binary as a child process (see `harness`), put through
//! what a machine does to a server — a full disk, a SIGKILL in the middle of uploads,
//! another process holding the SQLite write lock — and checked against what a user
//! relies on: an acknowledged write is stored, an acknowledged delete is done. `logs`
//! reads what the binary logs in JSON and checks that no credential ever reaches it.
//!
//! The catalog is SQLite by default. With `DEPOT_TEST_DATABASE_URL=postgres://…` set,
//! `crash` and `drives` run on PostgreSQL: each test gets a database of its own there,
//! dropped when it ends (`harness::TestDatabase`); `disk_full` and `write_lock` test
//! SQLite's behaviour and skip. `disk_full` and the full-drive test of `drives` mount
//! tmpfs and need root (they skip otherwise). `drives` also loses a drive (renames its
//! dir away) and crashes a server that writes to three drives. Run with
//! `cargo test --test faults` (and again with `DEPOT_TEST_DATABASE_URL` for PostgreSQL):
//! the tests take turns (`harness::one_at_a_time`).

mod backup;
mod broker;
mod cluster;
mod crash;
mod disk;
mod disk_full;
mod drives;
mod harness;
mod json_api;
mod logs;
#[path = "../shared/tansu.rs"]
mod tansu;
mod write_lock;
