package main

import (
	"io"
	"log/slog"
	"strings"

	"github.com/newsbot-vn/newsbot/bot/console"
)

// newLogger returns the log on w at cfg's level (debug with -v; warn in
// console mode unless log.level says otherwise, to keep the terminal for
// the conversation) and in cfg's format. In console mode a feed's repeated
// warnings are said once (see console.FeedWarnings).
func newLogger(cfg LogConfig, verbose, consoleMode bool, w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	switch strings.ToLower(cfg.Level) {
	case "debug":
		level = slog.LevelDebug
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	case "":
		if consoleMode {
			level = slog.LevelWarn
		}
	}
	if verbose {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if strings.EqualFold(cfg.Format, "json") {
		h = slog.NewJSONHandler(w, opts)
	}
	if consoleMode {
		h = console.FeedWarnings(h)
	}
	return slog.New(h)
}
