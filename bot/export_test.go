package bot

import "github.com/newsbot-vn/newsbot/storage"

// ShardOf exposes the worker a chat's updates go to, for tests that need
// two chats on different workers.
func ShardOf(chat storage.ChatRef, workers int) int { return shardOf(chat, workers) }
