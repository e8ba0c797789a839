// Package slogobs logs the events of s1crets providers with log/slog: one
// structured record per read, remote call, stale value, refresh-ahead,
// eviction and tier failure, without any secret value.
//
//	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
//	p, err := aws.NewParameterStore(ctx, s1crets.Observe(slogobs.New(logger, slogobs.Options{})))
//
// Reads and calls are logged at Options.Level (Debug by default); stale
// values served, tier failures and failed remote calls (other than "not
// found") at Options.FailLevel (Warn by default). Memory hits are many and
// are logged only with Options.Hits. A record whose level the logger does
// not enable costs a call of Enabled and nothing else.
//
// The records hold the secret's name as the program asked for it (attribute
// "name"), unless Options.HideNames is set; never its value.
package slogobs

import (
	"context"
	"log/slog"

	"github.com/s1crets/s1crets"
)

// Options configure an Observer. The zero value logs reads and calls at
// Debug, failures at Warn, no memory hits, with names.
type Options struct {
	Level     slog.Leveler // of reads and calls; nil means slog.LevelDebug
	FailLevel slog.Leveler // of stale values, tier failures, failed calls; nil means slog.LevelWarn
	Hits      bool         // also log the reads that memory answered
	HideNames bool         // leave the secret names out
}

// Observer is an s1crets.Observer that logs to a *slog.Logger. It is safe
// for concurrent use, and comparable (a pointer), so it can be given to
// s1crets.Open and the simple API.
type Observer struct {
	l    *slog.Logger
	opts Options
}

// New returns an Observer that logs to l (slog.Default() when nil).
func New(l *slog.Logger, o Options) *Observer {
	if l == nil {
		l = slog.Default()
	}
	if o.Level == nil {
		o.Level = slog.LevelDebug
	}
	if o.FailLevel == nil {
		o.FailLevel = slog.LevelWarn
	}
	return &Observer{l: l, opts: o}
}

// Observe implements s1crets.Observer.
func (o *Observer) Observe(e s1crets.Event) {
	if e.Kind == s1crets.EventFetch && e.Source == s1crets.SourceMemory && !o.opts.Hits {
		return
	}
	level := o.opts.Level.Level()
	if failed(e) {
		level = o.opts.FailLevel.Level()
	}
	ctx := context.Background()
	if !o.l.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs, slog.String("provider", e.Provider))
	if e.Op != "" {
		attrs = append(attrs, slog.String("op", e.Op))
	}
	if e.Name != "" && !o.opts.HideNames {
		attrs = append(attrs, slog.String("name", e.Name))
	}
	if e.List {
		attrs = append(attrs, slog.Bool("list", true))
	}
	switch e.Kind {
	case s1crets.EventFetch:
		attrs = append(attrs, slog.String("source", e.Source.String()))
		if e.Missed != 0 {
			attrs = append(attrs, slog.String("missed", e.Missed.String()))
		}
	case s1crets.EventTierFailure:
		attrs = append(attrs, slog.String("tier", e.Source.String()))
	}
	if e.Kind != s1crets.EventEvict && e.Kind != s1crets.EventRefresh && e.Kind != s1crets.EventTierFailure {
		attrs = append(attrs, slog.String("outcome", e.Outcome.String()))
	}
	if e.Kind == s1crets.EventFetch || e.Kind == s1crets.EventCall {
		attrs = append(attrs, slog.Duration("duration", e.Duration))
		if e.Attempts > 0 {
			attrs = append(attrs, slog.Int("attempts", e.Attempts))
		}
	}
	if e.Err != nil {
		attrs = append(attrs, slog.String("error", e.Err.Error()))
	}
	o.l.LogAttrs(ctx, level, messages[e.Kind], attrs...)
}

// failed reports the events that tell of a failure worth FailLevel.
func failed(e s1crets.Event) bool {
	switch e.Kind {
	case s1crets.EventStale, s1crets.EventTierFailure:
		return true
	case s1crets.EventCall, s1crets.EventFetch:
		return e.Outcome != s1crets.OutcomeOK && e.Outcome != s1crets.OutcomeNotFound
	}
	return false
}

var messages = map[s1crets.EventKind]string{
	s1crets.EventFetch:       "s1crets read",
	s1crets.EventCall:        "s1crets remote call",
	s1crets.EventStale:       "s1crets served a stale value",
	s1crets.EventRefresh:     "s1crets refresh-ahead",
	s1crets.EventEvict:       "s1crets evicted an entry",
	s1crets.EventTierFailure: "s1crets cache tier failed",
}
