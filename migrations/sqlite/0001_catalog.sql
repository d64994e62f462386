-- The catalog: users and keys, buckets, object versions and their data parts,
-- multipart uploads, the blob GC queue and the event outbox.
-- Times are Unix milliseconds; flags are 0/1 integers; JSON is stored as TEXT.
-- Keep in step with migrations/postgres/0001_catalog.sql (same tables, same columns).

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    is_root       INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE access_keys (
    access_key_id      TEXT PRIMARY KEY,
    secret_key         TEXT NOT NULL,
    user_id            TEXT NOT NULL REFERENCES users(id),
    kind               TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    revoked_at         INTEGER,
    expires_at         INTEGER,
    session_token_hash TEXT
);
CREATE INDEX access_keys_user ON access_keys(user_id);

CREATE TABLE buckets (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    owner_id   TEXT NOT NULL,
    region     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    versioning INTEGER NOT NULL DEFAULT 0,
    acl        TEXT NOT NULL,
    tags       TEXT
);

-- One row per object version (the "null" version included) or delete marker.
-- Row ids grow with time: a larger id is a newer version of the same key.
CREATE TABLE objects (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket_id          INTEGER NOT NULL,
    key                TEXT NOT NULL,
    version_id         TEXT NOT NULL,
    is_latest          INTEGER NOT NULL,
    is_delete_marker   INTEGER NOT NULL,
    size               INTEGER NOT NULL,
    etag               TEXT NOT NULL,
    last_modified      INTEGER NOT NULL,
    owner_id           TEXT NOT NULL,
    metadata           TEXT NOT NULL,
    storage_class      TEXT NOT NULL,
    checksum_algorithm TEXT,
    checksum_type      TEXT,
    checksum_value     TEXT,
    tags               TEXT,
    acl                TEXT,
    parts_count        INTEGER
);
CREATE UNIQUE INDEX objects_version ON objects(bucket_id, key, version_id);
CREATE INDEX objects_key_id ON objects(bucket_id, key, id DESC);
-- Listing reads only the live (latest, not deleted) row of each key: a range scan here.
CREATE INDEX objects_live ON objects(bucket_id, key) WHERE is_latest = 1 AND is_delete_marker = 0;

-- The data of a version: its parts in order (one row for a single-part object).
-- A part lives in a blob file, or inline in `data` for small objects.
CREATE TABLE object_parts (
    object_id   INTEGER NOT NULL,
    part_number INTEGER NOT NULL,
    blob_id     TEXT,
    data        BLOB,
    size        INTEGER NOT NULL,
    etag        TEXT NOT NULL,
    checksum    TEXT,
    PRIMARY KEY (object_id, part_number)
);
CREATE INDEX object_parts_blob ON object_parts(blob_id) WHERE blob_id IS NOT NULL;

CREATE TABLE uploads (
    upload_id          TEXT PRIMARY KEY,
    bucket_id          INTEGER NOT NULL,
    key                TEXT NOT NULL,
    owner_id           TEXT NOT NULL,
    initiated          INTEGER NOT NULL,
    metadata           TEXT NOT NULL,
    storage_class      TEXT NOT NULL,
    checksum_algorithm TEXT,
    checksum_type      TEXT,
    tags               TEXT,
    acl                TEXT
);
CREATE INDEX uploads_key ON uploads(bucket_id, key, upload_id);

CREATE TABLE upload_parts (
    upload_id     TEXT NOT NULL,
    part_number   INTEGER NOT NULL,
    blob_id       TEXT NOT NULL,
    size          INTEGER NOT NULL,
    etag          TEXT NOT NULL,
    checksum      TEXT,
    last_modified INTEGER NOT NULL,
    PRIMARY KEY (upload_id, part_number)
);
CREATE INDEX upload_parts_blob ON upload_parts(blob_id);

-- Blobs that lost a reference; freed once no part refers to them any more.
-- `generation` grows each time a blob is queued again, so the collector only forgets
-- the entry it examined.
CREATE TABLE blob_gc (
    blob_id    TEXT PRIMARY KEY,
    queued_at  INTEGER NOT NULL,
    generation INTEGER NOT NULL DEFAULT 0
);

-- Events written in the same transaction as the change they describe.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   TEXT NOT NULL UNIQUE,
    bucket     TEXT NOT NULL,
    key        TEXT,
    payload    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    sent_at    INTEGER
);
CREATE INDEX outbox_pending ON outbox(id) WHERE sent_at IS NULL;
