//! Command-line tools beside the server: `depot admin …` ([`admin`]), and the small
//! signed HTTP client it uses to reach a running server ([`client`]).
//!
//! Nothing here serves requests; it drives either the server's JSON API or the catalog
//! through the same account services the server uses.

pub mod admin;
pub mod client;

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
