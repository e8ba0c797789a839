package otelobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/driver"
	"github.com/s1crets/s1crets/internal/obstest"
	"github.com/s1crets/s1crets/otelobs"
)

var ctx = context.Background()

// newObserver returns an Observer on a MeterProvider with a ManualReader.
func newObserver(t *testing.T) (*otelobs.Observer, *sdkmetric.ManualReader) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(ctx) })
	o, err := otelobs.New(mp)
	require.NoError(t, err)
	return o, reader
}

// points returns the data points of the metric name, by their attributes
// printed: the sum of a counter, the count of a histogram.
func points(t *testing.T, reader *sdkmetric.ManualReader, name string) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, otelobs.ScopeName, sm.Scope.Name)
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				assert.True(t, d.IsMonotonic, name)
				for _, p := range d.DataPoints {
					out[attrs(p.Attributes)] += p.Value
				}
			case metricdata.Histogram[float64]:
				assert.Equal(t, "s", m.Unit)
				for _, p := range d.DataPoints {
					out[attrs(p.Attributes)] += int64(p.Count)
				}
			default:
				t.Fatalf("%s: unexpected data %T", name, m.Data)
			}
		}
	}
	return out
}

// attrs prints an attribute set without the provider, which is always
// "fake" here, as "operation tier outcome" for those it has.
func attrs(s attribute.Set) string {
	var out string
	for _, k := range []attribute.Key{otelobs.AttrOperation, otelobs.AttrTier, otelobs.AttrOutcome} {
		if v, ok := s.Value(k); ok {
			if out != "" {
				out += " "
			}
			out += v.AsString()
		}
	}
	if v, _ := s.Value(otelobs.AttrProvider); v.AsString() != "fake" {
		out += " provider=" + v.AsString()
	}
	return out
}

// TestOTelWorkload: after a scripted workload (hits, misses, not found, a
// throttled fetch, an eviction), the ManualReader reads exact counts.
func TestOTelWorkload(t *testing.T) {
	o, reader := newObserver(t)
	store := obstest.New(map[string]string{"/a": "1", "/b": "2", "/c": "3"})
	p, err := obstest.Open("fake", store, s1crets.Cache(s1crets.CacheConfig{Size: 2, FailureBackoff: -1}), s1crets.Observe(o))
	require.NoError(t, err)
	defer p.Close()
	for _, n := range []string{"/a", "/a", "/a", "/b", "/b"} { // 2 misses, 3 hits
		_, err := p.Get(ctx, n)
		require.NoError(t, err)
	}
	_, err = p.Get(ctx, "/missing")
	require.ErrorIs(t, err, s1crets.ErrNotFound)
	store.Fail("/c", driver.KindThrottled)
	_, err = p.Get(ctx, "/c")
	require.Error(t, err)
	store.Heal("/c")
	_, err = p.Get(ctx, "/c") // evicts /a
	require.NoError(t, err)
	_, err = p.GetByPath(ctx, "/a") // a listing of /a, which also caches /a: evicts /b
	require.NoError(t, err)

	assert.Equal(t, map[string]int64{"memory": 3}, points(t, reader, "s1crets.cache.hits"))
	assert.Equal(t, map[string]int64{"memory": 6}, points(t, reader, "s1crets.cache.misses"))
	assert.Equal(t, map[string]int64{"": 2}, points(t, reader, "s1crets.cache.evictions"))
	assert.Equal(t, map[string]int64{
		"get ok": 3, "get not_found": 1, "get throttled": 1, "get-by-path ok": 1,
	}, points(t, reader, "s1crets.store.calls"))
	assert.Equal(t, map[string]int64{
		"get store ok": 3, "get store not_found": 1, "get store throttled": 1, "get-by-path store ok": 1,
	}, points(t, reader, "s1crets.fetch.duration"))
	st := p.Stats()
	assert.Equal(t, map[string]int64{"": int64(st.Evictions)}, points(t, reader, "s1crets.cache.evictions"))
	assert.Equal(t, uint64(2), st.Evictions)
	assert.Equal(t, uint64(3), st.Memory.Hits)
	assert.Equal(t, uint64(6), st.Memory.Misses)
	assert.Equal(t, uint64(5), st.Calls.Get)
	assert.Empty(t, points(t, reader, "s1crets.cache.stale"))
}

// TestOTelEvents: each kind of event lands in its instrument with its
// attributes.
func TestOTelEvents(t *testing.T) {
	o, reader := newObserver(t)
	for _, e := range []s1crets.Event{
		{Kind: s1crets.EventFetch, Provider: "fake", Op: "get", Source: s1crets.SourceShared,
			Missed: s1crets.Sources(0).With(s1crets.SourceMemory).With(s1crets.SourceDisk), Duration: 3 * time.Millisecond},
		{Kind: s1crets.EventFetch, Provider: "fake", Op: "get", Source: s1crets.SourceDisk,
			Missed: s1crets.Sources(0).With(s1crets.SourceMemory)},
		{Kind: s1crets.EventStale, Provider: "fake", Op: "get", Outcome: s1crets.OutcomeThrottled},
		{Kind: s1crets.EventRefresh, Provider: "fake", Op: "get"},
		{Kind: s1crets.EventRefresh, Provider: "other", Op: "get"},
		{Kind: s1crets.EventTierFailure, Provider: "fake", Op: "write", Source: s1crets.SourceShared},
		{Kind: s1crets.EventTierFailure, Provider: "fake", Op: "read", Source: s1crets.SourceShared},
	} {
		o.Observe(e)
	}
	assert.Equal(t, map[string]int64{"shared": 1, "disk": 1}, points(t, reader, "s1crets.cache.hits"))
	assert.Equal(t, map[string]int64{"memory": 2, "disk": 1}, points(t, reader, "s1crets.cache.misses"))
	assert.Equal(t, map[string]int64{"get shared ok": 1, "get disk ok": 1}, points(t, reader, "s1crets.fetch.duration"))
	assert.Equal(t, map[string]int64{"get": 1}, points(t, reader, "s1crets.cache.stale"))
	assert.Equal(t, map[string]int64{"": 1, " provider=other": 1}, points(t, reader, "s1crets.cache.refreshes"))
	assert.Equal(t, map[string]int64{"write shared": 1, "read shared": 1}, points(t, reader, "s1crets.cache.tier.failures"))
}

// TestOTelGlobal: a nil MeterProvider means the global one.
func TestOTelGlobal(t *testing.T) {
	o, err := otelobs.New(nil)
	require.NoError(t, err)
	o.Observe(s1crets.Event{Kind: s1crets.EventCall, Provider: "fake", Op: "get"}) // the no-op provider: no panic
}
