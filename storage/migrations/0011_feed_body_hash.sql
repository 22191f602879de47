-- A hash of the last feed document a poll stored, so that a server that
-- answers 200 with the same body (no ETag, no Last-Modified) costs what a
-- 304 costs: no parse, no clean, no summary, no lookups.
ALTER TABLE feeds ADD COLUMN body_hash TEXT NOT NULL DEFAULT '';
