//! The command line: the `depot` command's flags and subcommands ([`Cli`]), and the
//! tools beside the server: `depot admin …` ([`admin`]), and the small signed HTTP
//! client it uses to reach a running server ([`client`]).
//!
//! Nothing here serves requests; it drives either the server's JSON API or the catalog
//! through the same account services the server uses.
//!
//! Layer 15 of `crate::LAYERS`, the last: may import anything below it.

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
