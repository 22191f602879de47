-- Update ids a platform without offsets (Zalo) already delivered, so that a
-- restart does not handle them again.
CREATE TABLE seen_updates (
    platform TEXT NOT NULL,
    id       TEXT NOT NULL,
    seen_at  INTEGER NOT NULL,
    PRIMARY KEY (platform, id)
);
CREATE INDEX seen_updates_at ON seen_updates(seen_at);
