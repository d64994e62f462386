//! Fault tests: the real `depot` binary as a child process (see `harness`), put through
//! what a machine does to a server — a full disk, a SIGKILL in the middle of uploads,
//! another process holding the SQLite write lock — and checked against what a user
//! relies on: an acknowledged write is stored, an acknowledged delete is done.
//!
//! SQLite only. `disk_full` and the full-drive test of `drives` mount tmpfs and need root
//! (they skip otherwise). `drives` also loses a drive (renames its dir away) and crashes
//! a server that writes to three drives. Run with
//! `cargo test --test faults`: the tests take turns (`harness::one_at_a_time`).

mod crash;
mod disk_full;
mod drives;
mod harness;
mod write_lock;
