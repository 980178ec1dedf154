package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// levelHandler applies a log level per subsystem: loggers are named by a
// "logger" attribute (e.g. kafka.authorizer.logger for the audit), and
// each name may have its own level.
type levelHandler struct {
	inner  slog.Handler
	def    slog.Level
	levels map[string]slog.Level
	level  slog.Level
}

func (h *levelHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *levelHandler) Handle(ctx context.Context, r slog.Record) error {
	return h.inner.Handle(ctx, r)
}

func (h *levelHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := *h
	n.inner = h.inner.WithAttrs(attrs)
	for _, a := range attrs {
		if a.Key == "logger" {
			if lv, ok := h.levels[a.Value.String()]; ok {
				n.level = lv
			}
		}
	}
	return &n
}

func (h *levelHandler) WithGroup(name string) slog.Handler {
	n := *h
	n.inner = h.inner.WithGroup(name)
	return &n
}

// newLogger builds the broker logger. level is "info" or a list such as
// "info,kafka.authorizer.logger=debug"; format is text or json.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	h := &levelHandler{levels: map[string]slog.Level{}}
	for i, part := range strings.Split(level, ",") {
		part = strings.TrimSpace(part)
		name, lv, hasName := strings.Cut(part, "=")
		if !hasName {
			lv, name = name, ""
		}
		var l slog.Level
		if strings.EqualFold(lv, "trace") {
			l = slog.LevelDebug - 4
		} else if err := l.UnmarshalText([]byte(lv)); err != nil {
			return nil, fmt.Errorf("--log-level %q: %w", part, err)
		}
		switch {
		case hasName:
			h.levels[name] = l
		case i == 0:
			h.def = l
		default:
			return nil, fmt.Errorf("--log-level %q: only the first entry may omit a logger name", part)
		}
	}
	h.level = h.def
	min := h.def
	for _, l := range h.levels {
		if l < min {
			min = l
		}
	}
	opts := &slog.HandlerOptions{Level: min}
	switch format {
	case "text":
		h.inner = slog.NewTextHandler(w, opts)
	case "json":
		h.inner = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("--log-format: want text or json, got %q", format)
	}
	return slog.New(h), nil
}
