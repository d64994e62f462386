-- The metadata index, fed by events: versions with their searchable fields, tags,
-- per-bucket statistics, and the ids of the events already applied (idempotency).
-- Keep in step with migrations/postgres/0002_index.sql (same tables, same columns).
--
-- Positions (`seq`, `state_seq`) are outbox positions: the sequencer of the event that
-- last wrote a row. A row only takes an event's state when the event is newer, so
-- duplicates, replays and out-of-order deliveries never move the index backwards.

-- When the indexer applied an outbox event: the indexer's lag is what remains.
ALTER TABLE outbox ADD COLUMN indexed_at INTEGER;
CREATE INDEX outbox_unindexed ON outbox(id) WHERE indexed_at IS NULL;
-- Every event written before the index existed is delivered (again), to build it.
UPDATE outbox SET sent_at = NULL;

-- Events already applied; a redelivered or replayed event is skipped here.
CREATE TABLE processed_events (
    event_id     TEXT PRIMARY KEY,
    sequencer    TEXT NOT NULL,
    processed_at INTEGER NOT NULL
);

-- Buckets as the events describe them; deleted ones stay (deleted = 1) as tombstones.
CREATE TABLE index_buckets (
    name       TEXT PRIMARY KEY,
    owner_id   TEXT NOT NULL,
    versioning TEXT,
    created_at INTEGER NOT NULL,
    tags       TEXT NOT NULL,
    deleted    INTEGER NOT NULL,
    seq        INTEGER NOT NULL
);

-- One row per object version or delete marker, keyed by its catalog row id
-- (`version_seq`: larger is newer for the same key). A removed version stays as a
-- tombstone (removed = 1) so that a late event cannot bring it back. `is_latest` marks
-- the newest row of a key that is not removed. `version_id` is the id clients see:
-- NULL in a bucket never versioned; NULL and 'null' both mean the key's null version.
CREATE TABLE index_versions (
    version_seq      INTEGER PRIMARY KEY,
    bucket           TEXT NOT NULL,
    key              TEXT NOT NULL,
    version_id       TEXT,
    is_latest        INTEGER NOT NULL,
    is_delete_marker INTEGER NOT NULL,
    removed          INTEGER NOT NULL,
    size             INTEGER NOT NULL,
    etag             TEXT NOT NULL,
    content_type     TEXT,
    last_modified    INTEGER NOT NULL,
    owner_id         TEXT NOT NULL,
    description      TEXT,
    key_lower        TEXT NOT NULL,
    description_lower TEXT,
    user_metadata    TEXT NOT NULL,
    tags             TEXT NOT NULL,
    state_seq        INTEGER NOT NULL
);
CREATE INDEX index_versions_key ON index_versions(bucket, key, version_seq);
-- Search reads only the live (latest, not a delete marker) version of each key.
CREATE INDEX index_versions_live ON index_versions(key, bucket) WHERE is_latest = 1 AND is_delete_marker = 0;
CREATE INDEX index_versions_live_size ON index_versions(size) WHERE is_latest = 1 AND is_delete_marker = 0;
CREATE INDEX index_versions_live_modified ON index_versions(last_modified) WHERE is_latest = 1 AND is_delete_marker = 0;

-- The tags of versions that are not removed, for tag filters.
CREATE TABLE index_tags (
    version_seq INTEGER NOT NULL,
    tag_key     TEXT NOT NULL,
    tag_value   TEXT NOT NULL,
    PRIMARY KEY (version_seq, tag_key)
);
CREATE INDEX index_tags_pair ON index_tags(tag_key, tag_value, version_seq);

-- Per-bucket statistics, kept by the indexer in the transaction of each event.
-- objects/bytes: latest versions that are not delete markers; versions/version_bytes:
-- every stored version and delete marker.
CREATE TABLE index_bucket_stats (
    bucket        TEXT PRIMARY KEY,
    objects       INTEGER NOT NULL,
    bytes         INTEGER NOT NULL,
    versions      INTEGER NOT NULL,
    version_bytes INTEGER NOT NULL
);
