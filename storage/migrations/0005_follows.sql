-- Keyword alerts: a chat follows a phrase across all sections.
CREATE TABLE follows (
    platform   TEXT NOT NULL,
    chat_id    TEXT NOT NULL,
    phrase     TEXT NOT NULL, -- folded words joined by one space: "sa pa"
    display    TEXT NOT NULL, -- as the person typed it
    created_at INTEGER NOT NULL,
    PRIMARY KEY (platform, chat_id, phrase),
    FOREIGN KEY (platform, chat_id) REFERENCES chats(platform, id) ON UPDATE CASCADE ON DELETE CASCADE
);
