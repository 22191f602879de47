-- Failures that say nothing about the message (the platform down, a
-- timeout, a lost connection) are counted apart from attempts: they only
-- space out the retries, and never use up max_attempts.
ALTER TABLE deliveries ADD COLUMN transient_failures INTEGER NOT NULL DEFAULT 0;
