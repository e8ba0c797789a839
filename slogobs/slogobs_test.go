package slogobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/driver"
	"github.com/s1crets/s1crets/internal/obstest"
	"github.com/s1crets/s1crets/slogobs"
)

var secrets = map[string]string{"/a": "value-of-a", "/b": "value-of-b"}

// records runs a workload observed by a slogobs.Observer with o and returns
// the JSON records logged at Debug and above.
func records(t *testing.T, o slogobs.Options) (recs []map[string]any, raw string) {
	t.Helper()
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store := obstest.New(secrets)
	p, err := obstest.Open("fake", store, s1crets.Cache(s1crets.CacheConfig{Size: 1, FailureBackoff: -1}), s1crets.Observe(slogobs.New(logger, o)))
	require.NoError(t, err)
	defer p.Close()
	ctx := context.Background()
	_, err = p.Get(ctx, "/a") // a read from the store and its call
	require.NoError(t, err)
	_, err = p.Get(ctx, "/a") // a memory hit
	require.NoError(t, err)
	_, err = p.Get(ctx, "/missing") // not found: Debug
	require.ErrorIs(t, err, s1crets.ErrNotFound)
	store.Fail("/b", driver.KindThrottled)
	_, err = p.Get(ctx, "/b") // throttled: Warn
	require.Error(t, err)
	store.Heal("/b")
	_, err = p.Get(ctx, "/b") // evicts /a
	require.NoError(t, err)

	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), line)
		recs = append(recs, rec)
	}
	return recs, buf.String()
}

func summary(recs []map[string]any) []string {
	var out []string
	for _, r := range recs {
		s := r["level"].(string) + " " + r["msg"].(string)
		if n, ok := r["name"]; ok {
			s += " " + n.(string)
		}
		if src, ok := r["source"]; ok {
			s += " " + src.(string)
		}
		if o, ok := r["outcome"]; ok {
			s += " " + o.(string)
		}
		out = append(out, s)
	}
	return out
}

// TestSlogRecords: one record per event, at the level its outcome calls
// for, with the source, outcome and attempts, and never a secret value;
// memory hits only when asked for.
func TestSlogRecords(t *testing.T) {
	recs, raw := records(t, slogobs.Options{})
	assert.Equal(t, []string{
		"DEBUG s1crets remote call /a ok",
		"DEBUG s1crets read /a store ok",
		"DEBUG s1crets remote call /missing not_found",
		"DEBUG s1crets read /missing store not_found",
		"WARN s1crets remote call /b throttled",
		"WARN s1crets read /b store throttled",
		"DEBUG s1crets remote call /b ok",
		"DEBUG s1crets evicted an entry /a",
		"DEBUG s1crets read /b store ok",
	}, summary(recs))
	for _, r := range recs {
		assert.Equal(t, "fake", r["provider"])
	}
	assert.EqualValues(t, obstest.Attempts, recs[4]["attempts"])
	assert.Equal(t, "memory", recs[5]["missed"])
	assert.Contains(t, recs[5]["error"], "throttled")
	for _, v := range secrets {
		assert.NotContains(t, raw, v)
	}

	recs, _ = records(t, slogobs.Options{Hits: true})
	assert.Contains(t, summary(recs), "DEBUG s1crets read /a memory ok")
	assert.Len(t, recs, 10)
}

// TestSlogOptions: names can be left out, and the levels set.
func TestSlogOptions(t *testing.T) {
	recs, raw := records(t, slogobs.Options{HideNames: true})
	assert.NotContains(t, raw, "/a")
	assert.NotContains(t, raw, `"name"`)
	assert.Len(t, recs, 9)

	recs, _ = records(t, slogobs.Options{Level: slog.LevelInfo, FailLevel: slog.LevelError})
	levels := map[string]int{}
	for _, r := range recs {
		levels[r["level"].(string)]++
	}
	assert.Equal(t, map[string]int{"INFO": 7, "ERROR": 2}, levels)
}

// TestSlogDisabled: a logger that does not log Debug gets only the
// failures.
func TestSlogDisabled(t *testing.T) {
	var buf bytes.Buffer
	o := slogobs.New(slog.New(slog.NewTextHandler(&buf, nil)), slogobs.Options{})
	o.Observe(s1crets.Event{Kind: s1crets.EventFetch, Provider: "p", Op: "get", Name: "/x", Source: s1crets.SourceStore})
	assert.Empty(t, buf.String())
	o.Observe(s1crets.Event{Kind: s1crets.EventTierFailure, Provider: "p", Op: "write", Source: s1crets.SourceShared})
	assert.Contains(t, buf.String(), "level=WARN")
	assert.Contains(t, buf.String(), "tier=shared")
}
