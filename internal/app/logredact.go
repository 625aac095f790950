package app

import (
	"context"
	"fmt"
	"log/slog"
)

// redactingHandler scrubs sensitive values from every record a session's
// engine and providers log: the message, and every attribute whose value
// is text, an error or a Stringer. Errors from providers may quote what a
// policy marked sensitive (a server or key name from a sensitive variable),
// and logs leave the machine more often than terminals do.
type redactingHandler struct {
	next   slog.Handler
	redact func(string) string
}

// redactingLogger returns a logger that writes through l with redact
// applied.
func redactingLogger(l *slog.Logger, redact func(string) string) *slog.Logger {
	if redact == nil {
		return l
	}
	return slog.New(&redactingHandler{next: l.Handler(), redact: redact})
}

func (h *redactingHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *redactingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return &redactingHandler{next: h.next.WithAttrs(clean), redact: h.redact}
}

func (h *redactingHandler) WithGroup(name string) slog.Handler {
	return &redactingHandler{next: h.next.WithGroup(name), redact: h.redact}
}

func (h *redactingHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.redact(v.String()))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]any, len(group))
		for i, g := range group {
			clean[i] = h.attr(g)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, h.redact(x.Error()))
		case fmt.Stringer:
			return slog.String(a.Key, h.redact(x.String()))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
