-- A pause of blob collection (`depot admin gc pause`), for backups: while a row's
-- until_ms is in the future, no node frees a blob or sweeps an orphan. At most one row.
CREATE TABLE gc_pause (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    until_ms BIGINT NOT NULL,
    set_at_ms BIGINT NOT NULL
);
