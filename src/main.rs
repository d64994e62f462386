//! The `depot` binary: parse the configuration, start logging, serve until SIGINT or
//! SIGTERM, then shut down gracefully.

use std::io::IsTerminal;

use clap::Parser;
use depot::auth::root::{RootCredentials, RootSource};
use depot::cli::{Cli, Command, IndexCommand};
use depot::config::LogFormat;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let filter = EnvFilter::try_new(&cli.serve.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    if matches!(cli.command, Some(Command::Admin(_))) {
        // The admin command's output is its result: logs go to stderr, warnings only.
        let ansi = std::io::stderr().is_terminal();
        tracing_subscriber::fmt().with_env_filter(EnvFilter::new("warn")).with_writer(std::io::stderr).with_ansi(ansi).with_target(false).init();
    } else if cli.serve.log_format == LogFormat::Json {
        // One JSON object per line: the event's fields and those of its request span.
        tracing_subscriber::fmt().json().flatten_event(true).with_current_span(true).with_span_list(false).with_env_filter(filter).with_target(false).init();
    } else {
        // Colours only on a terminal: a log file or a pipe gets plain text.
        let ansi = std::io::stdout().is_terminal();
        tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_target(false).init();
    }
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.serve).await,
        Command::Admin(args) => {
            return match depot::cli::admin::run(args, &cli.serve).await {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("depot admin: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
        Command::Index { action: IndexCommand::Rebuild } => rebuild_index(cli.serve).await,
        Command::Scrub { repair, bucket, rate } => {
            let options = depot::storage::scrub::ScrubOptions { repair, bucket, bytes_per_sec: rate };
            return exit_code(scrub(cli.serve, options).await, "scrub");
        }
        Command::Fsck => return exit_code(fsck(cli.serve).await, "fsck"),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("depot: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(config: depot::config::ServeConfig) -> Result<(), depot::error::Error> {
    let catalog = if config.database_url.is_some() { "PostgreSQL".to_owned() } else { format!("SQLite in {}", config.data_dir.display()) };
    let events = config.events.brokers().map_or_else(|| "in-process indexer".to_owned(), |b| format!("Kafka at {b}"));
    tracing::info!(addr = %config.addr, %catalog, %events, "starting");
    let root_from_env = match (&config.root_access_key, &config.root_secret_key) {
        (Some(id), Some(secret)) => Some(RootCredentials { access_key_id: id.clone(), secret_access_key: secret.expose().to_owned() }),
        (None, None) => None,
        _ => return Err(depot::error::Error::Config("set both DEPOT_ROOT_ACCESS_KEY and DEPOT_ROOT_SECRET_KEY, or neither".into())),
    };
    let server = depot::server::start(config.clone(), root_from_env).await?;
    let (root, source) = server.root_credentials();
    let scheme = if server.is_tls() { "https" } else { "http" };
    let listening = format!("{scheme}://{}", server.local_addr());
    let addr = server.local_addr();
    let host = if addr.ip().is_unspecified() { format!("localhost:{}", addr.port()) } else { addr.to_string() };
    let console = config.console.then(|| format!("{scheme}://{host}/_depot/console/"));
    let secret_file = config.data_dir.join("root-credentials.json");
    if config.log_format == LogFormat::Json {
        // Every line on stdout is a JSON log line, and a secret never is one: the
        // generated secret stays in its file.
        match source {
            RootSource::Generated => tracing::warn!(access_key = %root.access_key_id, secret_in = %secret_file.display(), "generated root credentials"),
            RootSource::Stored => tracing::info!(access_key = %root.access_key_id, secret_in = %secret_file.display(), "root credentials"),
            RootSource::Environment => tracing::info!(access_key = %root.access_key_id, "root credentials from DEPOT_ROOT_ACCESS_KEY"),
        }
        tracing::info!(%listening, tls = server.is_tls(), console = console.as_deref().unwrap_or("off"), "Depot listening");
    } else {
        match source {
            RootSource::Generated => println!(
                "Generated root credentials (shown once; kept in {}):\n  access key: {}\n  secret key: {}",
                secret_file.display(),
                root.access_key_id,
                root.secret_access_key
            ),
            RootSource::Stored => println!("Root access key: {} (secret in {})", root.access_key_id, secret_file.display()),
            RootSource::Environment => println!("Root access key: {} (from DEPOT_ROOT_ACCESS_KEY)", root.access_key_id),
        }
        println!("Depot listening on {listening}");
        if !server.is_tls() {
            println!("Plain HTTP: no --tls-cert/--tls-key given");
        }
        if let Some(console) = console {
            println!("Console: {console} (sign in with the root access key and secret key)");
        }
    }
    wait_for_signal().await;
    tracing::info!("shutting down");
    server.shutdown().await;
    Ok(())
}

async fn rebuild_index(config: depot::config::ServeConfig) -> Result<(), depot::error::Error> {
    let catalog = depot::catalog::Catalog::open(config.database_url.as_ref().map(|s| s.expose()), &config.data_dir).await?;
    let report = depot::indexer::rebuild::rebuild(&catalog).await?;
    catalog.close().await;
    println!("Index rebuilt: {} buckets, {} versions", report.buckets, report.versions);
    Ok(())
}

/// Success only when the check came out clean.
fn exit_code(result: Result<bool, depot::error::Error>, what: &str) -> std::process::ExitCode {
    match result {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("depot {what}: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

/// The drives and the catalog the flags name, for the tools that check them.
async fn open_store(config: &depot::config::ServeConfig) -> Result<(depot::storage::BlobStore, depot::catalog::Catalog), depot::error::Error> {
    let (blobs, _) = depot::server::open_blobs(config)?;
    let catalog = depot::catalog::Catalog::open(config.database_url.as_ref().map(|s| s.expose()), &config.data_dir).await?;
    Ok((blobs, catalog))
}

async fn scrub(config: depot::config::ServeConfig, options: depot::storage::scrub::ScrubOptions) -> Result<bool, depot::error::Error> {
    let (blobs, catalog) = open_store(&config).await?;
    let report = depot::storage::scrub::scrub(&blobs, &catalog, &options).await.map_err(depot::error::Error::from);
    catalog.close().await;
    let report = report?;
    print!("{}", report.render());
    Ok(report.unrecoverable.is_empty() && (options.repair || report.errors == 0) && (!options.repair || report.under_replicated == 0))
}

async fn fsck(config: depot::config::ServeConfig) -> Result<bool, depot::error::Error> {
    let (blobs, catalog) = open_store(&config).await?;
    let report = depot::storage::scrub::fsck(&blobs, &catalog, config.orphan_grace()).await.map_err(depot::error::Error::from);
    catalog.close().await;
    let report = report?;
    print!("{}", report.render());
    Ok(report.is_clean())
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
