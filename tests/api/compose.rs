//! `docker-compose.yml` against what Depot reads. Every `DEPOT_*` variable it sets is one
//! the sources read; the nodes share what must be shared (catalog, Kafka, drives, secrets)
//! and keep their own data dirs; ports, health checks, the database URL and the brokers
//! point at what the file defines; every image is built here or pinned to a tag. Where
//! Compose is installed (`docker compose`, or `docker-compose`, which the set-up
//! installs), its `config` must accept the file too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml::Value;

/// What every node of the multi-node shape sets.
const REQUIRED: [&str; 8] = [
    "DEPOT_ADDR",
    "DEPOT_DATA_DIR",
    "DEPOT_DATABASE_URL",
    "DEPOT_KAFKA_BROKERS",
    "DEPOT_DRIVES",
    "DEPOT_JWT_SECRET",
    "DEPOT_ROOT_ACCESS_KEY",
    "DEPOT_ROOT_SECRET_KEY",
];

/// What must be the same on every node (unset on all of them counts as the same).
const SHARED: [&str; 11] = [
    "DEPOT_DATABASE_URL",
    "DEPOT_KAFKA_BROKERS",
    "DEPOT_KAFKA_TOPIC",
    "DEPOT_KAFKA_GROUP",
    "DEPOT_DRIVES",
    "DEPOT_JWT_SECRET",
    "DEPOT_ROOT_ACCESS_KEY",
    "DEPOT_ROOT_SECRET_KEY",
    "DEPOT_COPIES",
    "DEPOT_WRITE_QUORUM",
    "DEPOT_REGION",
];

/// Secrets: from the environment (`${VAR:?…}`), never written in the file.
const FROM_ENVIRONMENT: [&str; 3] = ["DEPOT_ROOT_ACCESS_KEY", "DEPOT_ROOT_SECRET_KEY", "DEPOT_JWT_SECRET"];

/// How long Depot lets in-flight requests finish after SIGTERM (`SHUTDOWN_GRACE` in
/// `src/server/mod.rs`, checked below): a node's `stop_grace_period` must be longer.
const SHUTDOWN_GRACE_SECS: u64 = 30;

/// The port the `postgres` image listens on.
const POSTGRES_PORT: u16 = 5432;

#[test]
fn docker_compose_matches_what_depot_reads() {
    let known = known_vars();
    assert!(known.len() >= 20 && known.contains("DEPOT_ADDR"), "the scan of src/ found only {known:?}");
    let sources = read_sources();
    assert!(sources.iter().any(|(_, text)| text.contains("\"/_depot/health\"")), "no route \"/_depot/health\" in src/: the health checks call it");
    let server = std::fs::read_to_string(repo().join("src/server/mod.rs")).expect("src/server/mod.rs");
    assert!(
        server.contains(&format!("const SHUTDOWN_GRACE: Duration = Duration::from_secs({SHUTDOWN_GRACE_SECS});")),
        "src/server/mod.rs no longer drains for {SHUTDOWN_GRACE_SECS} s: update SHUTDOWN_GRACE_SECS here and stop_grace_period in docker-compose.yml"
    );
    let found = problems(&load(), &known);
    assert!(found.is_empty(), "docker-compose.yml does not match what Depot reads:\n  {}", found.join("\n  "));
    docker_compose_config();
}

/// A mistake: what it is, how to make it, and what the report must then say.
type Mistake = (&'static str, fn(&mut Value), &'static str);

#[test]
fn the_compose_check_catches_mistakes() {
    let known = known_vars();
    let clean = load();
    assert_eq!(problems(&clean, &known), Vec::<String>::new());
    let cases: [Mistake; 13] = [
        ("a misspelled variable", |c| rename_var(c, "depot2", "DEPOT_DATABASE_URL", "DEPOT_DATABSE_URL"), "DEPOT_DATABSE_URL, which Depot does not read"),
        ("a required variable left out", |c| drop_var(c, "depot1", "DEPOT_DRIVES"), "does not set DEPOT_DRIVES"),
        ("a secret that differs", |c| set_var(c, "depot3", "DEPOT_JWT_SECRET", "${OTHER_SECRET:?set it}"), "DEPOT_JWT_SECRET is not the same"),
        ("a secret in the file", |c| set_var(c, "depot1", "DEPOT_ROOT_SECRET_KEY", "hunter2"), "DEPOT_ROOT_SECRET_KEY must come from the environment"),
        ("a port mismatch", |c| c["services"]["depot3"]["ports"] = seq(&["9003:9090"]), "container port 9090"),
        ("a host port twice", |c| c["services"]["depot2"]["ports"] = seq(&["9001:9000"]), "host port 9001"),
        ("a shared data dir", |c| c["services"]["depot2"]["volumes"] = seq(&["depot1-data:/data", "blobs:/blobs"]), "data volume depot1-data"),
        ("drives not shared", |c| c["services"]["depot1"]["volumes"] = seq(&["depot1-data:/data", "depot1-data:/blobs"]), "not one shared volume"),
        ("an undeclared volume", |c| drop_key(&mut c["volumes"], "blobs"), "volume blobs is not declared"),
        ("a wrong database password", |c| c["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"] = "other".into(), "POSTGRES_PASSWORD"),
        ("an unadvertised broker", |c| set_all(c, "DEPOT_KAFKA_BROKERS", "kafka:29092"), "KAFKA_ADVERTISED_LISTENERS"),
        ("an untagged image", |c| c["services"]["postgres"]["image"] = "postgres".into(), "image postgres has no tag"),
        ("Docker's default stop timeout", |c| drop_key(&mut c["services"]["depot1"], "stop_grace_period"), "stop_grace_period"),
    ];
    for (what, mutate, expected) in cases {
        let mut compose = clean.clone();
        mutate(&mut compose);
        let found = problems(&compose, &known);
        assert!(found.iter().any(|p| p.contains(expected)), "{what}: expected a problem with {expected:?}, got {found:#?}");
    }
    let mut compose = clean.clone();
    compose["services"]["depot1"]["depends_on"]["postgres"]["condition"] = "service_started".into();
    compose["services"]["depot2"]["healthcheck"]["test"] = "curl -fsS http://127.0.0.1:9001/_depot/health".into();
    compose["services"]["kafka"]["image"] = "apache/kafka:latest".into();
    let found = problems(&compose, &known);
    for expected in ["depot1 waits for postgres with service_started", "depot2's healthcheck calls port 9001", "image apache/kafka:latest"] {
        assert!(found.iter().any(|p| p.contains(expected)), "expected a problem with {expected:?}, got {found:#?}");
    }
}

/// Everything wrong with `compose` (merge keys applied) for Depot nodes that read only the
/// variables in `known_vars`; empty when nothing is.
fn problems(compose: &Value, known_vars: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    let Some(services) = compose.get("services").and_then(Value::as_mapping) else {
        return vec!["no services".to_owned()];
    };
    let services: BTreeMap<String, &Value> = services.iter().filter_map(|(name, s)| Some((name.as_str()?.to_owned(), s))).collect();
    let nodes: Vec<Node> = services.iter().filter(|(_, s)| is_depot(s)).map(|(name, s)| Node { name: name.clone(), service: s, env: environment(s) }).collect();
    if nodes.len() < 2 {
        out.push(format!("{} Depot node(s); this file runs several", nodes.len()));
    }
    for node in &nodes {
        check_variables(node, known_vars, &mut out);
        check_ports(node, &mut out);
        check_stop_grace(node, &mut out);
        check_dependencies_of_node(node, &services, &mut out);
    }
    check_shared(&nodes, &mut out);
    check_volumes(compose, &services, &nodes, &mut out);
    check_host_ports(&services, &mut out);
    check_dependencies(&services, &mut out);
    check_images(&services, &nodes, &mut out);
    out
}

/// A Depot service: its name, its definition and its environment.
struct Node<'a> {
    name: String,
    service: &'a Value,
    env: BTreeMap<String, String>,
}

impl Node<'_> {
    fn var(&self, name: &str) -> Option<&str> {
        self.env.get(name).map(String::as_str)
    }
}

fn is_depot(service: &Value) -> bool {
    service.get("build").is_some() || environment(service).keys().any(|k| k.starts_with("DEPOT_"))
}

fn check_variables(node: &Node, known_vars: &BTreeSet<String>, out: &mut Vec<String>) {
    for name in node.env.keys().filter(|k| k.starts_with("DEPOT_")) {
        if !known_vars.contains(name) {
            out.push(format!("{} sets {name}, which Depot does not read", node.name));
        }
    }
    for name in REQUIRED {
        if node.var(name).is_none_or(str::is_empty) {
            out.push(format!("{} does not set {name}", node.name));
        }
    }
    for name in FROM_ENVIRONMENT {
        if node.var(name).is_some_and(|v| !v.starts_with(&format!("${{{name}:?"))) {
            out.push(format!("{}: {name} must come from the environment (${{{name}:?…}}), not be written in the file", node.name));
        }
    }
}

fn check_shared(nodes: &[Node], out: &mut Vec<String>) {
    let Some(first) = nodes.first() else { return };
    for name in SHARED {
        for node in &nodes[1..] {
            if node.var(name) != first.var(name) {
                out.push(format!(
                    "{name} is not the same on {} ({}) and {} ({}): every node needs the same",
                    first.name,
                    shown(first.var(name)),
                    node.name,
                    shown(node.var(name))
                ));
            }
        }
    }
}

/// A variable's value for a message.
fn shown(value: Option<&str>) -> String {
    value.map_or_else(|| "unset".to_owned(), |v| format!("{v:?}"))
}

/// The port in `DEPOT_ADDR` (`host:port`).
fn addr_port(node: &Node) -> Option<u16> {
    node.var("DEPOT_ADDR")?.rsplit_once(':')?.1.parse().ok()
}

fn check_ports(node: &Node, out: &mut Vec<String>) {
    let Some(port) = addr_port(node) else {
        out.push(format!("{}: DEPOT_ADDR {:?} is not host:port", node.name, node.var("DEPOT_ADDR")));
        return;
    };
    let published = ports(node.service);
    if published.is_empty() {
        out.push(format!("{} publishes no port", node.name));
    }
    for p in published {
        match p {
            Ok((_, container)) if container == port => {}
            Ok((_, container)) => out.push(format!("{} publishes container port {container}, but DEPOT_ADDR listens on {port}", node.name)),
            Err(e) => out.push(format!("{}: {e}", node.name)),
        }
    }
    let test = healthcheck_test(node.service);
    if !test.contains("/_depot/health") {
        out.push(format!("{}'s healthcheck does not call /_depot/health: {test:?}", node.name));
    }
    let called = url_ports(&test);
    if called.is_empty() {
        out.push(format!("{}'s healthcheck calls no http(s) URL: {test:?}", node.name));
    }
    for p in called.into_iter().filter(|p| *p != port) {
        out.push(format!("{}'s healthcheck calls port {p}, but DEPOT_ADDR listens on {port}", node.name));
    }
}

fn check_host_ports(services: &BTreeMap<String, &Value>, out: &mut Vec<String>) {
    let mut seen: BTreeMap<u16, &str> = BTreeMap::new();
    for (name, service) in services {
        for (host, _) in ports(service).into_iter().flatten() {
            let Some(host) = host else { continue };
            if let Some(other) = seen.insert(host, name) {
                out.push(format!("host port {host} is published by both {other} and {name}"));
            }
        }
    }
}

fn check_stop_grace(node: &Node, out: &mut Vec<String>) {
    let given = node.service.get("stop_grace_period").and_then(Value::as_str);
    let secs = given.map_or(Some(10.0), duration_secs);
    match secs {
        Some(secs) if secs > SHUTDOWN_GRACE_SECS as f64 => {}
        Some(_) => out.push(format!(
            "{}: stop_grace_period {} is not longer than the {SHUTDOWN_GRACE_SECS} s Depot lets in-flight requests finish after SIGTERM; Docker would kill them",
            node.name,
            given.unwrap_or("unset (Docker's default: 10s)")
        )),
        None => out.push(format!("{}: stop_grace_period {given:?} is not a duration", node.name)),
    }
}

fn check_volumes(compose: &Value, services: &BTreeMap<String, &Value>, nodes: &[Node], out: &mut Vec<String>) {
    // Named volumes used, by service.
    let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, service) in services {
        for m in mounts(service).into_iter().filter(|m| m.named) {
            used.entry(m.source.unwrap_or_default()).or_default().insert(name.clone());
        }
    }
    let declared: BTreeSet<String> =
        compose.get("volumes").and_then(Value::as_mapping).map(|m| m.keys().filter_map(|k| k.as_str().map(str::to_owned)).collect()).unwrap_or_default();
    for volume in used.keys().filter(|v| !declared.contains(*v)) {
        out.push(format!("volume {volume} is not declared under volumes:"));
    }
    for volume in declared.iter().filter(|v| !used.contains_key(*v)) {
        out.push(format!("volume {volume} is declared but no service mounts it"));
    }
    let mut data_volumes: BTreeMap<String, String> = BTreeMap::new();
    let mut drive_sources: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for node in nodes {
        let mounts = mounts(node.service);
        let source_of = |target: &str| mounts.iter().find(|m| m.target.trim_end_matches('/') == target.trim_end_matches('/'));
        if let Some(dir) = node.var("DEPOT_DATA_DIR") {
            match source_of(dir) {
                Some(m) if m.named => {
                    let volume = m.source.clone().unwrap_or_default();
                    if let Some(other) = data_volumes.insert(volume.clone(), node.name.clone()) {
                        out.push(format!("{other} and {} share the data volume {volume}: each node needs its own data dir", node.name));
                    }
                }
                _ => out.push(format!("{}: DEPOT_DATA_DIR {dir} is not a named volume of its own", node.name)),
            }
        }
        for drive in node.var("DEPOT_DRIVES").unwrap_or_default().split(',').map(str::trim).filter(|d| !d.is_empty()) {
            if Some(drive) == node.var("DEPOT_DATA_DIR") {
                out.push(format!("{}: the drive {drive} is the data dir, which is node-local", node.name));
            }
            match source_of(drive).and_then(|m| m.source.clone()) {
                Some(source) => {
                    drive_sources.entry(drive.to_owned()).or_default().insert(source);
                }
                None => out.push(format!("{}: the drive {drive} is not a mounted volume", node.name)),
            }
        }
    }
    for (drive, sources) in drive_sources {
        if sources.len() > 1 {
            out.push(format!("the drive {drive} is not one shared volume on every node: {sources:?}"));
        }
        for source in sources.iter().filter(|s| data_volumes.contains_key(*s)) {
            out.push(format!("the drive {drive} is mounted from {source}, which is also a node's data volume"));
        }
    }
}

/// The database and the brokers each node names are services of this file, with the
/// credentials and listeners they use; each node waits until they are healthy.
fn check_dependencies_of_node(node: &Node, services: &BTreeMap<String, &Value>, out: &mut Vec<String>) {
    let mut needs = Vec::new();
    if let Some(url) = node.var("DEPOT_DATABASE_URL") {
        match parse_postgres_url(url) {
            Some(db) => match services.get(&db.host) {
                Some(postgres) => {
                    needs.push(db.host.clone());
                    let env = environment(postgres);
                    let user = env.get("POSTGRES_USER").cloned().unwrap_or_else(|| "postgres".to_owned());
                    let database = env.get("POSTGRES_DB").cloned().unwrap_or_else(|| user.clone());
                    for (what, in_url, in_service) in [
                        ("POSTGRES_USER", &db.user, &user),
                        ("POSTGRES_PASSWORD", &db.password, env.get("POSTGRES_PASSWORD").unwrap_or(&String::new())),
                        ("POSTGRES_DB", &db.database, &database),
                    ] {
                        if in_url != in_service {
                            out.push(format!("{}: DEPOT_DATABASE_URL has {in_url:?} where {} has {what} {in_service:?}", node.name, db.host));
                        }
                    }
                    if db.port != POSTGRES_PORT {
                        out.push(format!("{}: DEPOT_DATABASE_URL uses port {}, PostgreSQL listens on {POSTGRES_PORT}", node.name, db.port));
                    }
                }
                None => out.push(format!("{}: DEPOT_DATABASE_URL names host {}, which is no service here", node.name, db.host)),
            },
            None => out.push(format!("{}: DEPOT_DATABASE_URL is not postgres://user:password@host[:port]/database", node.name)),
        }
    }
    for broker in node.var("DEPOT_KAFKA_BROKERS").unwrap_or_default().split(',').map(str::trim).filter(|b| !b.is_empty()) {
        let host = broker.split(':').next().unwrap_or_default();
        let Some(kafka) = services.get(host) else {
            out.push(format!("{}: the broker {broker} is no service here", node.name));
            continue;
        };
        needs.push(host.to_owned());
        let advertised = environment(kafka).get("KAFKA_ADVERTISED_LISTENERS").cloned().unwrap_or_default();
        if !advertised.split(',').any(|l| l.trim().split_once("://").is_some_and(|(_, at)| at == broker)) {
            out.push(format!("{}: the broker {broker} is not among {host}'s KAFKA_ADVERTISED_LISTENERS {advertised:?}", node.name));
        }
    }
    // How it waits is checked with every other dependency (`check_dependencies`).
    let deps = depends_on(node.service);
    for service in needs.into_iter().filter(|s| !deps.contains_key(s)) {
        out.push(format!("{} does not wait for {service} (depends_on)", node.name));
    }
}

/// Every `depends_on` names a service here, waiting until it is healthy (it has a
/// healthcheck) or, for a one-shot service, until it has finished.
fn check_dependencies(services: &BTreeMap<String, &Value>, out: &mut Vec<String>) {
    for (name, service) in services {
        for (dep, condition) in depends_on(service) {
            let Some(target) = services.get(&dep) else {
                out.push(format!("{name} depends on {dep}, which is no service here"));
                continue;
            };
            match condition.as_deref() {
                Some("service_healthy") if target.get("healthcheck").is_some_and(|h| h.get("disable") != Some(&Value::Bool(true))) => {}
                Some("service_healthy") => out.push(format!("{name} waits for {dep} to be healthy, but {dep} has no healthcheck")),
                Some("service_completed_successfully") => {
                    let restart = target.get("restart").and_then(Value::as_str).unwrap_or("no");
                    if matches!(restart, "always" | "unless-stopped") {
                        out.push(format!("{name} waits for {dep} to finish, but {dep} restarts {restart}"));
                    }
                }
                other => out.push(format!("{name} waits for {dep} with {}, not service_healthy", other.unwrap_or("no condition"))),
            }
        }
    }
}

/// Depot nodes are built from the Dockerfile at the repository's root, all from one
/// definition; every other service names an image with an explicit tag.
fn check_images(services: &BTreeMap<String, &Value>, nodes: &[Node], out: &mut Vec<String>) {
    for (name, service) in services {
        match (service.get("build"), service.get("image").and_then(Value::as_str)) {
            (Some(build), _) => {
                let (context, dockerfile) = match build {
                    Value::String(context) => (context.clone(), "Dockerfile".to_owned()),
                    _ => (
                        build.get("context").and_then(Value::as_str).unwrap_or(".").to_owned(),
                        build.get("dockerfile").and_then(Value::as_str).unwrap_or("Dockerfile").to_owned(),
                    ),
                };
                if !repo().join(&context).join(&dockerfile).is_file() {
                    out.push(format!("{name} builds {context}/{dockerfile}, which does not exist"));
                }
                if is_depot(service) && !matches!(context.as_str(), "." | "./") {
                    out.push(format!("{name} builds from {context}, not the repository's root (.)"));
                }
            }
            (None, Some(image)) => {
                let last = image.rsplit('/').next().unwrap_or(image);
                let tag = last.split_once(':').map(|(_, tag)| tag);
                if !image.contains('@') && tag.is_none_or(|t| t.is_empty() || t == "latest") {
                    out.push(format!("{name}: image {image} has no tag (or latest): pin a version"));
                }
            }
            (None, None) => out.push(format!("{name} has neither build nor image")),
        }
    }
    if let Some(first) = nodes.first() {
        for node in &nodes[1..] {
            for key in ["build", "image"] {
                if node.service.get(key) != first.service.get(key) {
                    out.push(format!("{} and {} differ in {key}: the nodes run one image", first.name, node.name));
                }
            }
        }
    }
}

/// A service's environment (mapping or `KEY=value` list), values as strings.
fn environment(service: &Value) -> BTreeMap<String, String> {
    match service.get("environment") {
        Some(Value::Mapping(m)) => m.iter().filter_map(|(k, v)| Some((k.as_str()?.to_owned(), scalar(v).unwrap_or_default()))).collect(),
        Some(Value::Sequence(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(|kv| kv.split_once('=').map_or((kv.to_owned(), String::new()), |(k, v)| (k.to_owned(), v.to_owned())))
            .collect(),
        _ => BTreeMap::new(),
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A volume or bind mount: where it comes from (none for an anonymous volume), where it
/// goes, and whether the source is a named volume.
struct Mount {
    source: Option<String>,
    target: String,
    named: bool,
}

fn mounts(service: &Value) -> Vec<Mount> {
    let Some(items) = service.get("volumes").and_then(Value::as_sequence) else { return Vec::new() };
    items
        .iter()
        .filter_map(|item| match item {
            Value::String(short) => {
                let parts: Vec<&str> = short.split(':').collect();
                match parts.as_slice() {
                    [target] => Some(Mount { source: None, target: (*target).to_owned(), named: false }),
                    [source, target, ..] => {
                        Some(Mount { source: Some((*source).to_owned()), target: (*target).to_owned(), named: !source.starts_with(['/', '.', '~', '$']) })
                    }
                    [] => None,
                }
            }
            Value::Mapping(_) => {
                let source = item.get("source").and_then(Value::as_str).map(str::to_owned);
                let named = item.get("type").and_then(Value::as_str).unwrap_or("volume") == "volume" && source.is_some();
                Some(Mount { source, target: item.get("target").and_then(Value::as_str)?.to_owned(), named })
            }
            _ => None,
        })
        .collect()
}

/// Published ports as (host port, container port).
fn ports(service: &Value) -> Vec<Result<(Option<u16>, u16), String>> {
    let Some(items) = service.get("ports").and_then(Value::as_sequence) else { return Vec::new() };
    items
        .iter()
        .map(|item| {
            let unreadable = || format!("cannot read the port {item:?}");
            match item {
                Value::Mapping(_) => {
                    let container = item.get("target").and_then(scalar).and_then(|t| t.parse().ok()).ok_or_else(unreadable)?;
                    let host = match item.get("published").and_then(scalar) {
                        Some(h) => Some(h.parse().map_err(|_| unreadable())?),
                        None => None,
                    };
                    Ok((host, container))
                }
                _ => {
                    let short = scalar(item).ok_or_else(unreadable)?;
                    let short = short.split('/').next().unwrap_or_default();
                    let mut parts = short.rsplit(':');
                    let container = parts.next().and_then(|c| c.parse().ok()).ok_or_else(unreadable)?;
                    let host = match parts.next() {
                        Some(h) => Some(h.parse().map_err(|_| unreadable())?),
                        None => None,
                    };
                    Ok((host, container))
                }
            }
        })
        .collect()
}

/// The healthcheck's command as one string.
fn healthcheck_test(service: &Value) -> String {
    match service.get("healthcheck").and_then(|h| h.get("test")) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Sequence(parts)) => parts.iter().filter_map(Value::as_str).filter(|p| !matches!(*p, "CMD" | "CMD-SHELL")).collect::<Vec<_>>().join(" "),
        _ => String::new(),
    }
}

/// The ports of the `http://host:port/…` URLs in a command.
fn url_ports(command: &str) -> Vec<u16> {
    command
        .split("://")
        .skip(1)
        .filter_map(|rest| {
            let authority = rest.split(['/', ' ', '"', '\'']).next()?;
            authority.rsplit_once(':')?.1.parse().ok()
        })
        .collect()
}

/// `depends_on` as service → condition (none for the list form).
fn depends_on(service: &Value) -> BTreeMap<String, Option<String>> {
    match service.get("depends_on") {
        Some(Value::Sequence(names)) => names.iter().filter_map(Value::as_str).map(|n| (n.to_owned(), None)).collect(),
        Some(Value::Mapping(m)) => {
            m.iter().filter_map(|(name, dep)| Some((name.as_str()?.to_owned(), dep.get("condition").and_then(Value::as_str).map(str::to_owned)))).collect()
        }
        _ => BTreeMap::new(),
    }
}

struct PostgresUrl {
    user: String,
    password: String,
    host: String,
    port: u16,
    database: String,
}

fn parse_postgres_url(url: &str) -> Option<PostgresUrl> {
    let rest = url.strip_prefix("postgres://").or_else(|| url.strip_prefix("postgresql://"))?;
    let (userinfo, rest) = rest.split_once('@')?;
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (hostport, database) = rest.split_once('/')?;
    let (host, port) = match hostport.rsplit_once(':') {
        Some((host, port)) => (host, port.parse().ok()?),
        None => (hostport, POSTGRES_PORT),
    };
    let database = database.split('?').next().unwrap_or_default();
    Some(PostgresUrl { user: user.to_owned(), password: password.to_owned(), host: host.to_owned(), port, database: database.to_owned() })
}

/// A Go duration as Compose writes it (`35s`, `1m30s`, `500ms`), in seconds.
fn duration_secs(text: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let scale = match &rest[..unit] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            "us" | "µs" => 0.000_001,
            _ => return None,
        };
        total += number * scale;
        rest = &rest[unit..];
    }
    Some(total)
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// docker-compose.yml with its merge keys (`<<: *depot`) applied, as Compose reads it.
fn load() -> Value {
    let text = std::fs::read_to_string(repo().join("docker-compose.yml")).expect("docker-compose.yml is readable");
    let mut compose: Value = serde_yaml::from_str(&text).expect("docker-compose.yml is YAML");
    compose.apply_merge().expect("the merge keys of docker-compose.yml resolve");
    compose
}

/// Every `src/**/*.rs` file and its text.
fn read_sources() -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    let mut dirs = vec![repo().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file is readable");
                files.push((path, text));
            }
        }
    }
    files
}

/// The `"DEPOT_…"` string literals in the sources: the variables Depot reads (clap's
/// `env = "…"` and the few read with `std::env::var`).
fn known_vars() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (_, text) in read_sources() {
        let mut rest = text.as_str();
        while let Some(at) = rest.find("\"DEPOT_") {
            let name = &rest[at + 1..];
            let len = name.find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')).unwrap_or(name.len());
            if len > "DEPOT_".len() && name[len..].starts_with('"') {
                found.insert(name[..len].to_owned());
            }
            rest = &name[len..];
        }
    }
    found
}

/// `docker compose config -q` (Compose v2, or Debian's `docker-compose` v1, which the
/// set-up installs: neither needs a Docker engine) accepts the file with the required
/// variables set, and refuses it without the JWT secret; a SKIP line where neither is
/// installed.
fn docker_compose_config() {
    let runs = |program: &str, args: &[&str]| Command::new(program).args(args).output().is_ok_and(|o| o.status.success());
    let (program, prefix): (&str, &[&str]) = if runs("docker", &["compose", "version"]) {
        ("docker", &["compose"])
    } else if runs("docker-compose", &["version"]) {
        ("docker-compose", &[])
    } else {
        println!("SKIP: neither `docker compose` nor `docker-compose` is installed here: docker-compose.yml was checked by parsing only");
        return;
    };
    let config = |jwt_secret: Option<&str>| {
        let mut command = Command::new(program);
        command
            .current_dir(repo())
            .args(prefix)
            .args(["-f", "docker-compose.yml", "config", "-q"])
            .env("DEPOT_ROOT_ACCESS_KEY", "depotadmin")
            .env("DEPOT_ROOT_SECRET_KEY", "0123456789abcdef0123456789abcdef01234567");
        match jwt_secret {
            Some(secret) => command.env("DEPOT_JWT_SECRET", secret),
            None => command.env_remove("DEPOT_JWT_SECRET"),
        };
        command.output().expect("compose runs")
    };
    let accepted = config(Some(&"ab".repeat(32)));
    assert!(accepted.status.success(), "{program} config refused docker-compose.yml:\n{}", String::from_utf8_lossy(&accepted.stderr));
    let refused = config(None);
    assert!(!refused.status.success(), "{program} config accepted docker-compose.yml without DEPOT_JWT_SECRET");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("DEPOT_JWT_SECRET"), "{}", String::from_utf8_lossy(&refused.stderr));
}

// The mistakes `the_compose_check_catches_mistakes` makes.

fn seq(items: &[&str]) -> Value {
    Value::Sequence(items.iter().map(|s| Value::String((*s).to_owned())).collect())
}

fn drop_key(map: &mut Value, key: &str) {
    map.as_mapping_mut().expect("a mapping").remove(key);
}

fn set_var(compose: &mut Value, service: &str, name: &str, value: &str) {
    compose["services"][service]["environment"][name] = value.into();
}

fn drop_var(compose: &mut Value, service: &str, name: &str) {
    drop_key(&mut compose["services"][service]["environment"], name);
}

fn rename_var(compose: &mut Value, service: &str, from: &str, to: &str) {
    let value = compose["services"][service]["environment"][from].clone();
    drop_var(compose, service, from);
    compose["services"][service]["environment"][to] = value;
}

/// Sets a variable on every Depot node.
fn set_all(compose: &mut Value, name: &str, value: &str) {
    let services = compose["services"].as_mapping_mut().expect("services");
    for (_, service) in services.iter_mut() {
        if is_depot(service) {
            service["environment"][name] = value.into();
        }
    }
}
