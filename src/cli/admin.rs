//! `depot admin`: list, disable and enable users; list all buckets; pause and resume
//! blob collection around a backup.
//!
//! Works two ways. With `--endpoint URL` it calls a running server's root-only JSON API
//! (`/_depot/admin/…`), signing with the root credentials from `DEPOT_ROOT_ACCESS_KEY`
//! and `DEPOT_ROOT_SECRET_KEY`. Without it, it opens the catalog itself (`--database-url`,
//! or the SQLite file in `--data-dir`) and uses the same account services; a running
//! server sees the change with its next request (nothing is cached).

use clap::{Args, Subcommand};
use serde_json::Value;

use super::client::{self, Signer};
use super::CliError;
use crate::admin::gc;
use crate::admin::users::{buckets_report, user_json, users_report};
use crate::auth::accounts;
use crate::catalog::Catalog;
use crate::config::ServeConfig;

#[derive(Debug, Args)]
pub struct AdminArgs {
    /// URL of a running server (e.g. http://127.0.0.1:9000); root credentials are taken
    /// from DEPOT_ROOT_ACCESS_KEY / DEPOT_ROOT_SECRET_KEY. Unset: work on the catalog
    /// directly (--data-dir / --database-url).
    #[arg(long, env = "DEPOT_ENDPOINT", global = true)]
    pub endpoint: Option<String>,

    /// PEM file of the CA certificates to trust for an https:// endpoint (default: the
    /// system's).
    #[arg(long, env = "DEPOT_CA_BUNDLE", global = true)]
    pub ca_bundle: Option<std::path::PathBuf>,

    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Users: list, disable, enable.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Buckets of all users.
    #[command(subcommand)]
    Buckets(BucketsCommand),
    /// Blob collection: pause it (on every node) while a backup copies the drives.
    #[command(subcommand)]
    Gc(GcCommand),
}

#[derive(Debug, Subcommand)]
pub enum GcCommand {
    /// Whether collection is paused, and until when.
    Status,
    /// Stop freeing blobs and sweeping orphans on every node until resumed or until the
    /// pause ends by itself.
    Pause {
        /// How long the pause lasts at most (1 s to a week).
        #[arg(long, default_value_t = crate::admin::gc::DEFAULT_PAUSE.as_secs())]
        for_secs: u64,
    },
    /// End the pause now.
    Resume,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Every user, with its state and number of access keys.
    List,
    /// Disable a user: its access keys, session credentials and login tokens stop working.
    Disable { username: String },
    /// Enable a disabled user again.
    Enable { username: String },
}

#[derive(Debug, Subcommand)]
pub enum BucketsCommand {
    /// Every bucket with its owner.
    List,
}

/// Runs one admin command and prints its result.
pub async fn run(args: AdminArgs, config: &ServeConfig) -> Result<(), CliError> {
    let value = match &args.endpoint {
        Some(endpoint) => remote(endpoint, &args.command, config, args.ca_bundle.as_deref()).await?,
        None => local(&args.command, config).await?,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    } else {
        print!("{}", render(&args.command, &value));
    }
    Ok(())
}

/// Through a running server's admin API.
async fn remote(endpoint: &str, command: &AdminCommand, config: &ServeConfig, ca_bundle: Option<&std::path::Path>) -> Result<Value, CliError> {
    let (Some(access_key_id), Some(secret)) = (&config.root_access_key, &config.root_secret_key) else {
        return Err(CliError::Usage("--endpoint needs the root credentials in DEPOT_ROOT_ACCESS_KEY and DEPOT_ROOT_SECRET_KEY".into()));
    };
    let signer = Signer { access_key_id: access_key_id.clone(), secret_access_key: secret.expose().to_owned(), region: config.region.clone() };
    let (method, path) = match command {
        AdminCommand::Users(UsersCommand::List) => ("GET", "/_depot/admin/users".to_owned()),
        AdminCommand::Users(UsersCommand::Disable { username }) => ("POST", format!("/_depot/admin/users/{}/disable", encode(username))),
        AdminCommand::Users(UsersCommand::Enable { username }) => ("POST", format!("/_depot/admin/users/{}/enable", encode(username))),
        AdminCommand::Buckets(BucketsCommand::List) => ("GET", "/_depot/admin/buckets".to_owned()),
        AdminCommand::Gc(GcCommand::Status) => ("GET", "/_depot/admin/gc".to_owned()),
        AdminCommand::Gc(GcCommand::Pause { for_secs }) => ("POST", format!("/_depot/admin/gc/pause?for_secs={for_secs}")),
        AdminCommand::Gc(GcCommand::Resume) => ("POST", "/_depot/admin/gc/resume".to_owned()),
    };
    client::call(endpoint, method, &path, &signer, ca_bundle).await
}

/// Directly on the catalog.
async fn local(command: &AdminCommand, config: &ServeConfig) -> Result<Value, CliError> {
    let url = config.database_url.as_ref().map(|s| s.expose());
    if url.is_none() && !config.data_dir.join("depot.db").exists() {
        return Err(CliError::Usage(format!(
            "no catalog at {}: pass --data-dir of a Depot data directory, --database-url, or --endpoint of a running server",
            config.data_dir.join("depot.db").display()
        )));
    }
    let catalog = Catalog::open(url, &config.data_dir).await?;
    let result = match command {
        AdminCommand::Users(UsersCommand::List) => users_report(&catalog).await.map_err(CliError::from),
        AdminCommand::Users(UsersCommand::Disable { username }) => {
            accounts::set_disabled(&catalog, username, true).await.map(|u| user_json(&u, None)).map_err(CliError::from)
        }
        AdminCommand::Users(UsersCommand::Enable { username }) => {
            accounts::set_disabled(&catalog, username, false).await.map(|u| user_json(&u, None)).map_err(CliError::from)
        }
        AdminCommand::Buckets(BucketsCommand::List) => buckets_report(&catalog).await.map_err(CliError::from),
        AdminCommand::Gc(GcCommand::Status) => gc::gc_report(&catalog).await.map_err(CliError::from),
        AdminCommand::Gc(GcCommand::Pause { for_secs }) => match gc::pause_length(Some(*for_secs)) {
            Ok(length) => gc::pause(&catalog, length).await.map_err(CliError::from),
            Err(reason) => Err(CliError::Usage(reason)),
        },
        AdminCommand::Gc(GcCommand::Resume) => gc::resume(&catalog).await.map_err(CliError::from),
    };
    catalog.close().await;
    result
}

fn encode(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A plain-text table of a result.
fn render(command: &AdminCommand, value: &Value) -> String {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let table = |rows: &[Value], columns: &[(&str, &str)]| {
        let cells: Vec<Vec<String>> = rows.iter().map(|r| columns.iter().map(|(key, _)| text(&r[*key])).collect()).collect();
        let widths: Vec<usize> =
            columns.iter().enumerate().map(|(i, (_, title))| cells.iter().map(|c| c[i].len()).chain([title.len()]).max().unwrap_or(0)).collect();
        let line =
            |values: Vec<String>| values.iter().zip(&widths).map(|(v, w)| format!("{v:<w$}")).collect::<Vec<_>>().join("  ").trim_end().to_owned() + "\n";
        let mut out = line(columns.iter().map(|(_, t)| (*t).to_owned()).collect());
        for row in cells {
            out.push_str(&line(row));
        }
        out
    };
    let empty = Vec::new();
    match command {
        AdminCommand::Users(UsersCommand::List) => table(
            value["users"].as_array().unwrap_or(&empty),
            &[("username", "USERNAME"), ("id", "ID"), ("is_root", "ROOT"), ("disabled", "DISABLED"), ("access_keys", "KEYS"), ("created_at", "CREATED")],
        ),
        AdminCommand::Users(UsersCommand::Disable { username }) => format!("user {username} disabled\n"),
        AdminCommand::Users(UsersCommand::Enable { username }) => format!("user {username} enabled\n"),
        AdminCommand::Buckets(BucketsCommand::List) => {
            table(value["buckets"].as_array().unwrap_or(&empty), &[("name", "NAME"), ("owner", "OWNER"), ("region", "REGION"), ("created_at", "CREATED")])
        }
        AdminCommand::Gc(_) => match value["paused_until"].as_str() {
            Some(until) => format!("blob collection is paused until {until}\n"),
            None => "blob collection runs\n".to_owned(),
        },
    }
}
