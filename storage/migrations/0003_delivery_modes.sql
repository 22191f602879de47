-- How each chat takes its alerts: one by one, or digests; quiet hours; and
-- whether an admin bound it (channels and groups posted to by /channel add).
ALTER TABLE chats ADD COLUMN digest TEXT NOT NULL DEFAULT 'off' CHECK (digest IN ('off', 'hourly', 'daily'));
ALTER TABLE chats ADD COLUMN digest_at INTEGER NOT NULL DEFAULT 0;   -- minutes after local midnight, for daily
ALTER TABLE chats ADD COLUMN quiet_start INTEGER NOT NULL DEFAULT -1; -- minutes after local midnight; -1 = no quiet hours
ALTER TABLE chats ADD COLUMN quiet_end INTEGER NOT NULL DEFAULT -1;
ALTER TABLE chats ADD COLUMN tz TEXT NOT NULL DEFAULT 'Asia/Ho_Chi_Minh';
ALTER TABLE chats ADD COLUMN bound INTEGER NOT NULL DEFAULT 0;
CREATE INDEX deliveries_chat_state ON deliveries(platform, chat_id, state);
CREATE INDEX deliveries_created ON deliveries(created_at);
