package s1crets_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/obstest"
	"github.com/s1crets/s1crets/otelobs"
	"github.com/s1crets/s1crets/slogobs"
)

// TestObservabilityWorkload is the whole chain on the scripted workload
// (hits, misses, a disk hit, not found, denied, a throttled fetch served
// stale, two evictions): the same exact counts in Stats, in the events, in
// the OpenTelemetry reader and in the slog records, side by side.
func TestObservabilityWorkload(t *testing.T) {
	rec := &obstest.Recorder{}
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)
	metrics, err := otelobs.New(mp)
	require.NoError(t, err)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	p, store, clock := workloadProvider(t, rec, metrics, slogobs.New(logger, slogobs.Options{Hits: true}))
	runWorkload(t, p, store, clock)

	// Stats.
	st := p.Stats()
	require.Equal(t, workloadStats, st)

	// Events.
	fetches := rec.Count(s1crets.EventFetch, nil)
	assert.Equal(t, 8, fetches)
	assert.Equal(t, int(st.Calls.Total()), rec.Count(s1crets.EventCall, nil))
	assert.Equal(t, int(st.Stale), rec.Count(s1crets.EventStale, nil))
	assert.Equal(t, int(st.Evictions), rec.Count(s1crets.EventEvict, nil))

	// OpenTelemetry.
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, pt := range d.DataPoints {
					got[m.Name+label(pt.Attributes)] += pt.Value
				}
			case metricdata.Histogram[float64]:
				for _, pt := range d.DataPoints {
					got[m.Name+label(pt.Attributes)] += int64(pt.Count)
				}
			}
		}
	}
	assert.Equal(t, map[string]int64{
		"s1crets.cache.hits{tier=memory}":                                    int64(st.Memory.Hits),
		"s1crets.cache.hits{tier=disk}":                                      int64(st.Disk.Hits),
		"s1crets.cache.misses{tier=memory}":                                  int64(st.Memory.Misses),
		"s1crets.cache.misses{tier=disk}":                                    int64(st.Disk.Misses),
		"s1crets.store.calls{operation=get,outcome=ok}":                      3,
		"s1crets.store.calls{operation=get,outcome=not_found}":               int64(st.Errors.NotFound),
		"s1crets.store.calls{operation=get,outcome=denied}":                  int64(st.Errors.Denied),
		"s1crets.store.calls{operation=get,outcome=throttled}":               int64(st.Errors.Throttled),
		"s1crets.fetch.duration{operation=get,outcome=ok,tier=disk}":         1,
		"s1crets.fetch.duration{operation=get,outcome=ok,tier=store}":        3,
		"s1crets.fetch.duration{operation=get,outcome=not_found,tier=store}": 1,
		"s1crets.fetch.duration{operation=get,outcome=denied,tier=store}":    1,
		"s1crets.fetch.duration{operation=get,outcome=throttled,tier=store}": 1,
		"s1crets.cache.stale{operation=get}":                                 int64(st.Stale),
		"s1crets.cache.evictions{}":                                          int64(st.Evictions),
	}, got)

	// slog: one record per event.
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	assert.Len(t, lines, len(rec.Events()))
	assert.Equal(t, 5, strings.Count(logs.String(), "level=WARN"), "the denied and throttled calls and reads, the stale value")
	assert.Equal(t, 1, strings.Count(logs.String(), `msg="s1crets served a stale value"`))
	for _, v := range workloadSecrets {
		assert.NotContains(t, logs.String(), v)
	}
}

// label prints the attributes of a point but the provider, which is "fake".
func label(s attribute.Set) string {
	var parts []string
	for _, kv := range s.ToSlice() {
		if kv.Key == otelobs.AttrProvider {
			continue
		}
		parts = append(parts, strings.TrimPrefix(string(kv.Key), "s1crets.")+"="+kv.Value.Emit())
	}
	return "{" + strings.Join(parts, ",") + "}"
}
