-- Issue 10: the outbox query and /stats without scans of the whole tables.

-- Each chat's queue head: its oldest pending delivery (by id, the order its
-- alerts must go in) and when that one is due. Triggers below keep it in the
-- transaction that changes the chat's deliveries, so the dispatcher reads
-- the due heads from an index instead of grouping a million pending rows.
CREATE TABLE outbox_heads (
    platform        TEXT NOT NULL,
    chat_id         TEXT NOT NULL,
    delivery_id     INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    PRIMARY KEY (platform, chat_id)
) WITHOUT ROWID;
CREATE INDEX outbox_heads_due ON outbox_heads(next_attempt_at, delivery_id);

INSERT INTO outbox_heads(platform, chat_id, delivery_id, next_attempt_at)
SELECT d.platform, d.chat_id, d.id, d.next_attempt_at
FROM deliveries d
WHERE d.id IN (SELECT min(id) FROM deliveries WHERE state = 'pending' GROUP BY platform, chat_id);

-- A chat's due pending rows, counted from the index alone (Waiting); it
-- replaces the index of all due rows, which only the old outbox query read.
DROP INDEX deliveries_pending;
CREATE INDEX deliveries_chat_due ON deliveries(platform, chat_id, next_attempt_at) WHERE state = 'pending';
-- The oldest pending row at once (/stats, /status).
CREATE INDEX deliveries_pending_created ON deliveries(created_at) WHERE state = 'pending';
-- The last 24 h of deliveries by platform and state from the index alone.
DROP INDEX deliveries_created;
CREATE INDEX deliveries_created ON deliveries(created_at, platform, state);
-- The last 24 h of articles.
CREATE INDEX articles_seen ON articles(seen_at);

-- Totals /stats shows that no index can count quickly at a million rows.
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    n    INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters(name, n) SELECT 'articles', count(*) FROM articles;
INSERT INTO counters(name, n) SELECT 'pending', count(*) FROM deliveries WHERE state = 'pending';

CREATE TRIGGER counters_article_in AFTER INSERT ON articles BEGIN
    UPDATE counters SET n = n + 1 WHERE name = 'articles';
END;
CREATE TRIGGER counters_article_out AFTER DELETE ON articles BEGIN
    UPDATE counters SET n = n - 1 WHERE name = 'articles';
END;

-- A new pending row becomes its chat's head when the chat has none older.
CREATE TRIGGER outbox_in AFTER INSERT ON deliveries WHEN NEW.state = 'pending' BEGIN
    UPDATE counters SET n = n + 1 WHERE name = 'pending';
    INSERT OR REPLACE INTO outbox_heads(platform, chat_id, delivery_id, next_attempt_at)
    SELECT NEW.platform, NEW.chat_id, NEW.id, NEW.next_attempt_at
    WHERE NOT EXISTS (SELECT 1 FROM outbox_heads WHERE platform = NEW.platform AND chat_id = NEW.chat_id AND delivery_id < NEW.id);
END;

CREATE TRIGGER outbox_out AFTER DELETE ON deliveries WHEN OLD.state = 'pending' BEGIN
    UPDATE counters SET n = n - 1 WHERE name = 'pending';
    DELETE FROM outbox_heads WHERE platform = OLD.platform AND chat_id = OLD.chat_id;
    INSERT INTO outbox_heads(platform, chat_id, delivery_id, next_attempt_at)
    SELECT platform, chat_id, id, next_attempt_at FROM deliveries INDEXED BY deliveries_chat_state
    WHERE platform = OLD.platform AND chat_id = OLD.chat_id AND state = 'pending' ORDER BY id LIMIT 1;
END;

CREATE TRIGGER outbox_pending_count AFTER UPDATE OF state ON deliveries
WHEN (OLD.state = 'pending') != (NEW.state = 'pending') BEGIN
    UPDATE counters SET n = n + (CASE WHEN NEW.state = 'pending' THEN 1 ELSE -1 END) WHERE name = 'pending';
END;

-- Any change to a pending row of a chat (sent, failed, dropped, moved in
-- time, moved to another chat) recomputes that chat's head from the index.
CREATE TRIGGER outbox_change AFTER UPDATE OF state, next_attempt_at, platform, chat_id ON deliveries
WHEN OLD.state = 'pending' OR NEW.state = 'pending' BEGIN
    DELETE FROM outbox_heads WHERE platform = OLD.platform AND chat_id = OLD.chat_id;
    INSERT INTO outbox_heads(platform, chat_id, delivery_id, next_attempt_at)
    SELECT platform, chat_id, id, next_attempt_at FROM deliveries INDEXED BY deliveries_chat_state
    WHERE platform = OLD.platform AND chat_id = OLD.chat_id AND state = 'pending' ORDER BY id LIMIT 1;
END;
CREATE TRIGGER outbox_move AFTER UPDATE OF platform, chat_id ON deliveries
WHEN (OLD.state = 'pending' OR NEW.state = 'pending') AND (NEW.platform != OLD.platform OR NEW.chat_id != OLD.chat_id) BEGIN
    DELETE FROM outbox_heads WHERE platform = NEW.platform AND chat_id = NEW.chat_id;
    INSERT INTO outbox_heads(platform, chat_id, delivery_id, next_attempt_at)
    SELECT platform, chat_id, id, next_attempt_at FROM deliveries INDEXED BY deliveries_chat_state
    WHERE platform = NEW.platform AND chat_id = NEW.chat_id AND state = 'pending' ORDER BY id LIMIT 1;
END;
