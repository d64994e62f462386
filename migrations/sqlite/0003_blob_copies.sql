-- Which drives hold a copy of each blob: written in the transaction that first refers
-- to the blob, rewritten by the healer when it repairs or adds copies, removed when the
-- blob is freed. A referenced blob with no rows was written before drives existed: the
-- healer finds its copies and records them.
CREATE TABLE blob_copies (
    blob_id  TEXT NOT NULL,
    drive_id TEXT NOT NULL,
    PRIMARY KEY (blob_id, drive_id)
);
