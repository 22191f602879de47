-- The inbox: every update a platform delivered, written before the platform
-- is told it arrived (the polling offset confirmed, the webhook answered),
-- and marked handled once the bot answered it. A restart handles again what
-- is not marked; the key drops a platform's replays.
CREATE TABLE inbox (
    seq         INTEGER PRIMARY KEY,     -- arrival order, for replay
    platform    TEXT NOT NULL,
    update_id   TEXT NOT NULL,
    body        BLOB NOT NULL,           -- the update as the bot encodes it
    handled     INTEGER NOT NULL DEFAULT 0,
    received_at INTEGER NOT NULL,
    handled_at  INTEGER,
    UNIQUE (platform, update_id)
);
CREATE INDEX inbox_pending ON inbox(platform, seq) WHERE handled = 0;
CREATE INDEX inbox_handled ON inbox(handled_at) WHERE handled = 1;

-- Broadcasts by the update that asked for them: written in the transaction
-- that queues the broadcast's deliveries, so a command handled twice (a
-- crash, a replay) queues them once.
CREATE TABLE broadcasts (
    platform   TEXT NOT NULL,
    update_id  TEXT NOT NULL,
    chats      INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (platform, update_id)
);
