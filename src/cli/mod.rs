//! The command line: the `depot` command's flags and subcommands ([`Cli`]), and the
//! tools beside the server: `depot admin …` ([`admin`]), and the small signed HTTP
//! client it uses to reach a running server ([`client`]).
//!
//! Nothing here serves requests; it drives either the server's JSON API or the catalog
//! through the same account services the server uses.
//!
//! Layer 19 of `crate::LAYERS`, the last: may import anything below it.

pub mod admin;
pub mod client;

use clap::{Parser, Subcommand};

use crate::config::ServeConfig;

/// Depot: an S3-compatible object store.
#[derive(Debug, Parser)]
#[command(name = "depot", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeConfig,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Administer users and buckets, through a running server (`--endpoint`) or directly
    /// on the data dir / database.
    Admin(admin::AdminArgs),
    /// Maintain the metadata index.
    Index {
        #[command(subcommand)]
        action: IndexCommand,
    },
    /// Verify every copy of every blob (blocks, MD5, number of copies) and every inline
    /// object, and print a report. Exits non-zero when data is lost or left damaged.
    Scrub {
        /// Rewrite damaged copies from good ones and add missing copies.
        #[arg(long)]
        repair: bool,
        /// Only the objects of this bucket.
        #[arg(long)]
        bucket: Option<String>,
        /// Bytes per second to read at most (0: as fast as the drives go).
        #[arg(long, default_value_t = 0)]
        rate: u64,
    },
    /// Check the catalog against the drives: every referenced blob in place on as many
    /// drives as asked, and no unreferenced blob older than the orphan grace period.
    /// Exits non-zero when anything is off.
    Fsck,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum IndexCommand {
    /// Rebuild the search index and statistics from the catalog.
    Rebuild,
}

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("cannot reach {endpoint}: {message}")]
    Connect { endpoint: String, message: String },
    #[error("the server answered {status}: {code}: {message}")]
    Server { status: u16, code: String, message: String },
    #[error("{0}")]
    Account(#[from] crate::auth::accounts::AccountError),
    #[error("catalog: {0}")]
    Catalog(#[from] crate::catalog::CatalogError),
}
