-- The metadata index, fed by events: versions with their searchable fields, tags,
-- per-bucket statistics, and the ids of the events already applied (idempotency).
-- Keys and names use the "C" collation so that they sort in UTF-8 byte order.
-- Keep in step with migrations/sqlite/0002_index.sql (same tables, same columns).
--
-- Positions (`seq`, `state_seq`) are outbox positions: the sequencer of the event that
-- last wrote a row. A row only takes an event's state when the event is newer, so
-- duplicates, replays and out-of-order deliveries never move the index backwards.

-- When the indexer applied an outbox event: the indexer's lag is what remains.
ALTER TABLE outbox ADD COLUMN indexed_at BIGINT;
CREATE INDEX outbox_unindexed ON outbox(id) WHERE indexed_at IS NULL;
-- Every event written before the index existed is delivered (again), to build it.
UPDATE outbox SET sent_at = NULL;

-- Events already applied; a redelivered or replayed event is skipped here.
CREATE TABLE processed_events (
    event_id     TEXT PRIMARY KEY,
    sequencer    TEXT NOT NULL,
    processed_at BIGINT NOT NULL
);

-- Buckets as the events describe them; deleted ones stay (deleted = 1) as tombstones.
CREATE TABLE index_buckets (
    name       TEXT COLLATE "C" PRIMARY KEY,
    owner_id   TEXT NOT NULL,
    versioning TEXT,
    created_at BIGINT NOT NULL,
    tags       TEXT NOT NULL,
    deleted    BIGINT NOT NULL,
    seq        BIGINT NOT NULL
);

-- One row per object version or delete marker, keyed by its catalog row id
-- (`version_seq`: larger is newer for the same key). A removed version stays as a
-- tombstone (removed = 1) so that a late event cannot bring it back. `is_latest` marks
-- the newest row of a key that is not removed. `version_id` is the id clients see:
-- NULL in a bucket never versioned; NULL and 'null' both mean the key's null version.
CREATE TABLE index_versions (
    version_seq      BIGINT PRIMARY KEY,
    bucket           TEXT COLLATE "C" NOT NULL,
    key              TEXT COLLATE "C" NOT NULL,
    version_id       TEXT,
    is_latest        BIGINT NOT NULL,
    is_delete_marker BIGINT NOT NULL,
    removed          BIGINT NOT NULL,
    size             BIGINT NOT NULL,
    etag             TEXT NOT NULL,
    content_type     TEXT,
    last_modified    BIGINT NOT NULL,
    owner_id         TEXT NOT NULL,
    description      TEXT,
    key_lower        TEXT NOT NULL,
    description_lower TEXT,
    user_metadata    TEXT NOT NULL,
    tags             TEXT NOT NULL,
    state_seq        BIGINT NOT NULL
);
CREATE INDEX index_versions_key ON index_versions(bucket, key, version_seq);
-- Search reads only the live (latest, not a delete marker) version of each key.
CREATE INDEX index_versions_live ON index_versions(key, bucket) WHERE is_latest = 1 AND is_delete_marker = 0;
CREATE INDEX index_versions_live_size ON index_versions(size) WHERE is_latest = 1 AND is_delete_marker = 0;
CREATE INDEX index_versions_live_modified ON index_versions(last_modified) WHERE is_latest = 1 AND is_delete_marker = 0;

-- The tags of versions that are not removed, for tag filters.
CREATE TABLE index_tags (
    version_seq BIGINT NOT NULL,
    tag_key     TEXT NOT NULL,
    tag_value   TEXT NOT NULL,
    PRIMARY KEY (version_seq, tag_key)
);
CREATE INDEX index_tags_pair ON index_tags(tag_key, tag_value, version_seq);

-- Per-bucket statistics, kept by the indexer in the transaction of each event.
-- objects/bytes: latest versions that are not delete markers; versions/version_bytes:
-- every stored version and delete marker.
CREATE TABLE index_bucket_stats (
    bucket        TEXT COLLATE "C" PRIMARY KEY,
    objects       BIGINT NOT NULL,
    bytes         BIGINT NOT NULL,
    versions      BIGINT NOT NULL,
    version_bytes BIGINT NOT NULL
);
