//! Search over the index: the latest live version of each key, filtered, sorted, and
//! paged with a keyset cursor (a page never re-reads earlier pages).
//!
//! Owns the search SQL; must not decide who may see what (the caller passes the
//! buckets the principal may read) and knows nothing of HTTP.

use sqlx::any::AnyRow;
use sqlx::Row;

use super::IndexerError;
use crate::catalog::{successor, Catalog};

/// Which buckets a search may look into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Only(Vec<String>),
}

/// The order of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    Key,
    Size,
    LastModified,
}

impl SortField {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "key" | "name" => Some(SortField::Key),
            "size" => Some(SortField::Size),
            "last_modified" | "modified" => Some(SortField::LastModified),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SortField::Key => "key",
            SortField::Size => "size",
            SortField::LastModified => "last_modified",
        }
    }

    fn column(self) -> Option<&'static str> {
        match self {
            SortField::Key => None,
            SortField::Size => Some("size"),
            SortField::LastModified => Some("last_modified"),
        }
    }
}

/// Where the previous page ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The sort value (size or time) of the last result; unused when sorting by key.
    pub value: i64,
    pub key: String,
    pub bucket: String,
}

/// A search request, validated.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    pub scope: Scope,
    pub bucket: Option<String>,
    pub prefix: Option<String>,
    /// Case-insensitive substring of the key.
    pub name: Option<String>,
    /// Case-insensitive substring of the `description` user metadata.
    pub description: Option<String>,
    /// Tag filters, all of which must match: a key with a value, or a key alone.
    pub tags: Vec<(String, Option<String>)>,
    /// Exact content type, or a prefix when it ends with `*` (`image/*`).
    pub content_type: Option<String>,
    pub min_size: Option<i64>,
    pub max_size: Option<i64>,
    /// Unix ms, exclusive bounds.
    pub modified_after: Option<i64>,
    pub modified_before: Option<i64>,
    pub sort: SortField,
    pub descending: bool,
    pub limit: usize,
    pub after: Option<Cursor>,
}

/// The page size when a search names none.
pub const DEFAULT_LIMIT: usize = 100;

impl Default for SearchQuery {
    /// Everything the caller may read, by key, a default-sized page.
    fn default() -> Self {
        SearchQuery {
            scope: Scope::All,
            bucket: None,
            prefix: None,
            name: None,
            description: None,
            tags: Vec::new(),
            content_type: None,
            min_size: None,
            max_size: None,
            modified_after: None,
            modified_before: None,
            sort: SortField::Key,
            descending: false,
            limit: DEFAULT_LIMIT,
            after: None,
        }
    }
}

/// One result: the latest version of a key.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
    pub size: i64,
    /// Unquoted.
    pub etag: String,
    pub content_type: Option<String>,
    pub last_modified: i64,
    pub description: Option<String>,
    pub tags: serde_json::Map<String, serde_json::Value>,
}

/// A page of results, and where the next one starts.
#[derive(Debug, Clone, Default)]
pub struct SearchPage {
    pub hits: Vec<SearchHit>,
    pub next: Option<Cursor>,
}

enum Arg {
    Text(String),
    Int(i64),
}

/// A WHERE clause under construction, with its numbered arguments.
#[derive(Default)]
struct Filter {
    clauses: Vec<String>,
    args: Vec<Arg>,
}

impl Filter {
    fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    fn text(&mut self, s: impl Into<String>) -> String {
        self.arg(Arg::Text(s.into()))
    }

    fn int(&mut self, i: i64) -> String {
        self.arg(Arg::Int(i))
    }
}

/// `%needle%` for LIKE, with LIKE's own characters escaped (`ESCAPE '\'`).
fn contains_pattern(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Builds the query's SQL and arguments.
fn build(q: &SearchQuery) -> (String, Vec<Arg>) {
    let mut f = Filter::default();
    f.clauses.push("is_latest = 1 AND is_delete_marker = 0".to_owned());
    if let Scope::Only(buckets) = &q.scope {
        let names: Vec<String> = buckets.iter().map(|b| f.text(b.clone())).collect();
        // An empty scope sees nothing.
        f.clauses.push(if names.is_empty() { "1 = 0".to_owned() } else { format!("bucket IN ({})", names.join(", ")) });
    }
    if let Some(b) = &q.bucket {
        let p = f.text(b.clone());
        f.clauses.push(format!("bucket = {p}"));
    }
    if let Some(prefix) = q.prefix.as_deref().filter(|p| !p.is_empty()) {
        let (lo, hi) = (f.text(prefix), f.text(successor(prefix)));
        f.clauses.push(format!("key >= {lo} AND key < {hi}"));
    }
    if let Some(name) = &q.name {
        let p = f.text(contains_pattern(name));
        f.clauses.push(format!("key_lower LIKE {p} ESCAPE '\\'"));
    }
    if let Some(d) = &q.description {
        let p = f.text(contains_pattern(d));
        f.clauses.push(format!("description_lower LIKE {p} ESCAPE '\\'"));
    }
    for (k, v) in &q.tags {
        let pk = f.text(k.clone());
        let value = match v {
            Some(v) => format!(" AND t.tag_value = {}", f.text(v.clone())),
            None => String::new(),
        };
        f.clauses.push(format!("EXISTS (SELECT 1 FROM index_tags t WHERE t.version_seq = index_versions.version_seq AND t.tag_key = {pk}{value})"));
    }
    match q.content_type.as_deref() {
        Some(ct) if ct.ends_with('*') => {
            let mut pattern: String =
                ct.trim_end_matches('*').chars().flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
            pattern.push('%');
            let p = f.text(pattern);
            f.clauses.push(format!("content_type LIKE {p} ESCAPE '\\'"));
        }
        Some(ct) => {
            let p = f.text(ct);
            f.clauses.push(format!("content_type = {p}"));
        }
        None => {}
    }
    for (bound, op, col) in
        [(q.min_size, ">=", "size"), (q.max_size, "<=", "size"), (q.modified_after, ">", "last_modified"), (q.modified_before, "<", "last_modified")]
    {
        if let Some(v) = bound {
            let p = f.int(v);
            f.clauses.push(format!("{col} {op} {p}"));
        }
    }
    let (cmp, dir) = if q.descending { ("<", "DESC") } else { (">", "ASC") };
    let order = match q.sort.column() {
        Some(col) => {
            if let Some(c) = &q.after {
                let (v, k, b) = (f.int(c.value), f.text(c.key.clone()), f.text(c.bucket.clone()));
                f.clauses.push(format!("({col}, key, bucket) {cmp} ({v}, {k}, {b})"));
            }
            format!("{col} {dir}, key {dir}, bucket {dir}")
        }
        None => {
            if let Some(c) = &q.after {
                let (k, b) = (f.text(c.key.clone()), f.text(c.bucket.clone()));
                f.clauses.push(format!("(key, bucket) {cmp} ({k}, {b})"));
            }
            format!("key {dir}, bucket {dir}")
        }
    };
    let limit = f.int(q.limit as i64 + 1);
    let sql = format!(
        "SELECT bucket, key, version_id, size, etag, content_type, last_modified, description, tags FROM index_versions \
         WHERE {} ORDER BY {order} LIMIT {limit}",
        f.clauses.join(" AND ")
    );
    (sql, f.args)
}

fn hit_from_row(row: &AnyRow) -> Result<SearchHit, IndexerError> {
    let tags: String = row.try_get("tags")?;
    Ok(SearchHit {
        bucket: row.try_get("bucket")?,
        key: row.try_get("key")?,
        version_id: row.try_get("version_id")?,
        size: row.try_get("size")?,
        etag: row.try_get("etag")?,
        content_type: row.try_get("content_type")?,
        last_modified: row.try_get("last_modified")?,
        description: row.try_get("description")?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
    })
}

/// Runs a search.
pub async fn search(catalog: &Catalog, q: &SearchQuery) -> Result<SearchPage, IndexerError> {
    let (sql, args) = build(q);
    let mut query = sqlx::query(&sql);
    for arg in args {
        query = match arg {
            Arg::Text(s) => query.bind(s),
            Arg::Int(i) => query.bind(i),
        };
    }
    let rows = query.fetch_all(catalog.reader()).await?;
    let mut hits = rows.iter().map(hit_from_row).collect::<Result<Vec<_>, _>>()?;
    let mut page = SearchPage::default();
    if hits.len() > q.limit {
        hits.truncate(q.limit);
        page.next = hits.last().map(|h| Cursor {
            value: match q.sort {
                SortField::Size => h.size,
                SortField::LastModified => h.last_modified,
                SortField::Key => 0,
            },
            key: h.key.clone(),
            bucket: h.bucket.clone(),
        });
    }
    page.hits = hits;
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("Ab%_\\"), "%ab\\%\\_\\\\%");
    }

    #[test]
    fn filters_number_their_arguments_in_order() {
        let q = SearchQuery {
            scope: Scope::Only(vec!["a".into(), "b".into()]),
            prefix: Some("p/".into()),
            tags: vec![("k".into(), Some("v".into()))],
            content_type: Some("image/*".into()),
            min_size: Some(1),
            sort: SortField::Size,
            descending: true,
            limit: 10,
            after: Some(Cursor { value: 5, key: "k".into(), bucket: "b".into() }),
            ..SearchQuery::default()
        };
        let (sql, args) = build(&q);
        assert!(sql.contains("bucket IN ($1, $2)"), "{sql}");
        assert!(sql.contains("key >= $3 AND key < $4"), "{sql}");
        assert!(sql.contains("(size, key, bucket) < ($9, $10, $11)"), "{sql}");
        assert!(sql.ends_with("ORDER BY size DESC, key DESC, bucket DESC LIMIT $12"), "{sql}");
        assert_eq!(args.len(), 12);
    }
}
