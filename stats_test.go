package s1crets_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/driver"
	"github.com/s1crets/s1crets/internal/obstest"
	"github.com/s1crets/s1crets/providers/memory"
)

// workloadSecrets are the values of the workload; no event may show them.
var workloadSecrets = map[string]string{"/a": "value-of-a", "/b": "value-of-b", "/c": "value-of-c"}

// runWorkload drives the scripted workload of the observability tests
// through p, a provider over store with a memory cache of 2 entries, a TTL
// of a minute, MaxStale of 10 minutes and a disk tier, on clock:
//
//  1. /a: memory and disk miss, from the store
//  2. /a: memory hit
//  3. /b: from the store
//  4. /missing: not found by the store
//  5. /c: from the store; memory evicts /a
//  6. /a: memory miss, disk hit; memory evicts /b
//  7. /denied: denied by the store
//  8. two minutes pass: /a and /c expire
//  9. /c: the store throttles: the expired value is served, stale
func runWorkload(t *testing.T, p *s1crets.Client, store *obstest.Store, clock *s1crets.FakeClock) {
	t.Helper()
	ctx := context.Background()
	get := func(name string) (s1crets.Value, error) { return p.Get(ctx, name) }
	for _, n := range []string{"/a", "/a", "/b"} {
		v, err := get(n)
		require.NoError(t, err)
		require.Equal(t, workloadSecrets[n], v.Text())
	}
	_, err := get("/missing")
	require.ErrorIs(t, err, s1crets.ErrNotFound)
	_, err = get("/c")
	require.NoError(t, err)
	v, err := get("/a")
	require.NoError(t, err)
	require.Equal(t, "value-of-a", v.Text())
	store.Fail("/denied", driver.KindDenied)
	_, err = get("/denied")
	require.Error(t, err)
	clock.Advance(2 * time.Minute)
	store.Fail("/c", driver.KindThrottled)
	v, err = get("/c")
	require.NoError(t, err)
	require.True(t, v.Stale(), "the throttled read serves the expired value")
	require.Equal(t, "value-of-c", v.Text())
}

// workloadProvider returns a provider for runWorkload, observed by obs.
func workloadProvider(t *testing.T, obs ...s1crets.Observer) (*s1crets.Client, *obstest.Store, *s1crets.FakeClock) {
	t.Helper()
	store := obstest.New(workloadSecrets)
	opts := []s1crets.Option{s1crets.Cache(s1crets.CacheConfig{Size: 2, TTL: time.Minute, MaxStale: 10 * time.Minute,
		OnDisk: true, KeyCacheDir: t.TempDir(), PathCacheDir: t.TempDir()})}
	for _, o := range obs {
		opts = append(opts, s1crets.Observe(o))
	}
	p, err := obstest.Open("fake", store, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	clock := s1crets.NewFakeClock()
	s1crets.SetClock(p, clock)
	return p, store, clock
}

// workloadStats are the exact statistics of runWorkload.
var workloadStats = s1crets.Stats{
	Provider:  "fake",
	Memory:    s1crets.TierStats{Hits: 1, Misses: 7},
	Disk:      s1crets.TierStats{Hits: 1, Misses: 6},
	Calls:     s1crets.CallStats{Get: 6},
	Errors:    s1crets.ErrorStats{NotFound: 1, Denied: 1, Throttled: 1},
	Stale:     1,
	Evictions: 2,
	Values:    2, // /c and /a, expired but kept for MaxStale
}

// TestStatsWorkload: Client.Stats counts exactly what the workload did:
// hits and misses per tier, remote calls, errors by kind, the stale serve
// and the evictions.
func TestStatsWorkload(t *testing.T) {
	rec := &obstest.Recorder{}
	p, store, clock := workloadProvider(t, rec)
	assert.Equal(t, s1crets.Stats{Provider: "fake"}, p.Stats())
	runWorkload(t, p, store, clock)
	assert.Equal(t, workloadStats, p.Stats())
	assert.Equal(t, uint64(6), p.Stats().Calls.Total())
	assert.Equal(t, uint64(3), p.Stats().Errors.Total())
}

// TestStatsWithoutObserver: without an Observer every counter but memory's
// hits counts the same; CountHits adds those.
func TestStatsWithoutObserver(t *testing.T) {
	p, store, clock := workloadProvider(t)
	runWorkload(t, p, store, clock)
	want := workloadStats
	want.Memory.Hits = 0
	assert.Equal(t, want, p.Stats())

	store = obstest.New(workloadSecrets)
	p, err := obstest.Open("fake", store, s1crets.Cache(s1crets.CacheConfig{Size: 2, TTL: time.Minute,
		MaxStale: 10 * time.Minute, OnDisk: true, KeyCacheDir: t.TempDir(), PathCacheDir: t.TempDir(), CountHits: true}))
	require.NoError(t, err)
	defer p.Close()
	clock = s1crets.NewFakeClock()
	s1crets.SetClock(p, clock)
	runWorkload(t, p, store, clock)
	assert.Equal(t, workloadStats, p.Stats())
}

// TestEventsWorkload: the Observer receives one event per read, remote
// call, stale serve and eviction of the workload, with where each read was
// answered, and never a secret value.
func TestEventsWorkload(t *testing.T) {
	rec := &obstest.Recorder{}
	p, store, clock := workloadProvider(t, rec)
	runWorkload(t, p, store, clock)

	fetch := func(src s1crets.Source, out s1crets.Outcome) func(s1crets.Event) bool {
		return func(e s1crets.Event) bool { return e.Source == src && e.Outcome == out }
	}
	assert.Equal(t, 8, rec.Count(s1crets.EventFetch, nil))
	assert.Equal(t, 1, rec.Count(s1crets.EventFetch, fetch(s1crets.SourceMemory, s1crets.OutcomeOK)))
	assert.Equal(t, 1, rec.Count(s1crets.EventFetch, fetch(s1crets.SourceDisk, s1crets.OutcomeOK)))
	assert.Equal(t, 3, rec.Count(s1crets.EventFetch, fetch(s1crets.SourceStore, s1crets.OutcomeOK)))
	assert.Equal(t, 1, rec.Count(s1crets.EventFetch, fetch(s1crets.SourceStore, s1crets.OutcomeNotFound)))
	assert.Equal(t, 1, rec.Count(s1crets.EventFetch, fetch(s1crets.SourceStore, s1crets.OutcomeDenied)))
	assert.Equal(t, 1, rec.Count(s1crets.EventFetch, fetch(s1crets.SourceStore, s1crets.OutcomeThrottled)))
	assert.Equal(t, 6, rec.Count(s1crets.EventCall, nil))
	assert.Equal(t, 3, rec.Count(s1crets.EventCall, func(e s1crets.Event) bool { return e.Outcome == s1crets.OutcomeOK }))
	assert.Equal(t, 1, rec.Count(s1crets.EventStale, nil))
	assert.Equal(t, 2, rec.Count(s1crets.EventEvict, nil))
	assert.Equal(t, 0, rec.Count(s1crets.EventRefresh, nil))
	assert.Equal(t, 0, rec.Count(s1crets.EventTierFailure, nil))

	var kinds []string
	for _, e := range rec.Events() {
		kinds = append(kinds, e.Kind.String()+" "+e.Name)
		assert.Equal(t, "fake", e.Provider)
		text := fmt.Sprintf("%+v %v", e, e.Err)
		for _, secret := range workloadSecrets {
			assert.NotContains(t, text, secret, "an event shows a secret value")
		}
	}
	assert.Equal(t, []string{
		"call /a", "fetch /a", // 1
		"fetch /a",            // 2
		"call /b", "fetch /b", // 3
		"call /missing", "fetch /missing", // 4
		"call /c", "evict /a", "fetch /c", // 5
		"evict /b", "fetch /a", // 6
		"call /denied", "fetch /denied", // 7
		"call /c", "fetch /c", "stale /c", // 9
	}, kinds)

	evs := rec.Events()
	disk := evs[11]
	assert.Equal(t, s1crets.SourceDisk, disk.Source)
	assert.True(t, disk.Missed.Has(s1crets.SourceMemory))
	assert.False(t, disk.Missed.Has(s1crets.SourceDisk))
	throttled := evs[15]
	assert.Equal(t, s1crets.OutcomeThrottled, throttled.Outcome)
	assert.Equal(t, obstest.Attempts, throttled.Attempts)
	assert.True(t, throttled.Missed.Has(s1crets.SourceMemory) && throttled.Missed.Has(s1crets.SourceDisk))
	assert.False(t, throttled.Missed.Has(s1crets.SourceShared))
	assert.Equal(t, 1, evs[0].Attempts, "a call that succeeds at once took 1 attempt")
	assert.Equal(t, "get", evs[0].Op)
	assert.Equal(t, s1crets.OutcomeThrottled, evs[16].Outcome, "the stale event tells why")
	assert.Zero(t, evs[2].Duration, "the fake clock did not move")
}

// TestEventsOutsideLocks: an Observer may call back into the provider
// (Stats, and reads) from any event without a deadlock: no hook runs
// under a lock of the provider.
func TestEventsOutsideLocks(t *testing.T) {
	var p *s1crets.Client
	calls := 0
	obs := s1crets.ObserverFunc(func(e s1crets.Event) {
		calls++
		_ = p.Stats()
		if e.Kind == s1crets.EventEvict {
			_, _ = p.Get(context.Background(), "/b") // a store from inside an eviction
		}
	})
	store := obstest.New(workloadSecrets)
	p, err := obstest.Open("fake", store, s1crets.Cache(s1crets.CacheConfig{Size: 1}), s1crets.Observe(obs))
	require.NoError(t, err)
	defer p.Close()
	for _, n := range []string{"/a", "/b", "/c", "/a"} {
		_, err := p.Get(context.Background(), n)
		require.NoError(t, err)
	}
	assert.Positive(t, calls)
}

// TestStatsOperations: every remote operation is counted under its own
// name, listings and GetMany included, and an Observer sees each.
func TestStatsOperations(t *testing.T) {
	rec := &obstest.Recorder{}
	p, err := memory.New(map[string]string{"/app/x": "1", "/app/y": "2", "/other": "3"}, s1crets.Observe(rec))
	require.NoError(t, err)
	defer p.Close()
	ctx := context.Background()
	_, err = p.GetByPath(ctx, "/app")
	require.NoError(t, err)
	_, err = p.GetByPath(ctx, "/app") // a hit of the listing
	require.NoError(t, err)
	res, err := p.GetMany(ctx, []string{"/app/x", "/other", "/nope"}) // one hit (listed), two from the store
	require.NoError(t, err)
	assert.Equal(t, []string{"/nope"}, res.Missing)
	ok, err := p.PathExists(ctx, "/app")
	require.NoError(t, err)
	assert.True(t, ok)
	require.NoError(t, p.Update(ctx, "/other", "4"))

	st := p.Stats()
	assert.Equal(t, s1crets.CallStats{GetByPath: 1, Get: 2, PathExists: 1, Update: 1}, st.Calls,
		"the memory store has no batch read: GetMany reads one by one")
	assert.Equal(t, s1crets.ErrorStats{NotFound: 1}, st.Errors)
	assert.Equal(t, s1crets.TierStats{Hits: 2, Misses: 4}, st.Memory)
	assert.Equal(t, 0, st.Listings, "Update drops the listings")
	assert.Equal(t, 2, st.Values, "/app/x and /app/y; Update dropped /other")
	assert.Equal(t, 5, rec.Count(s1crets.EventCall, nil))

	fetches := map[string]int{}
	for _, e := range rec.Events() {
		if e.Kind == s1crets.EventFetch {
			fetches[e.Op+" "+e.Source.String()]++
		}
	}
	assert.Equal(t, map[string]int{
		"get-by-path store": 1, "get-by-path memory": 1,
		"get-many memory": 1, "get-many store": 2,
		"path-exists store": 1,
	}, fetches)
}

// TestAllStats: AllStats adds up the memoized instances of each provider
// name; Close forgets them.
func TestAllStats(t *testing.T) {
	t.Cleanup(func() { _ = s1crets.Close() })
	require.NoError(t, s1crets.Close())
	ctx := context.Background()
	_, err := s1crets.Get(ctx, "memory", "/none")
	require.ErrorIs(t, err, s1crets.ErrNotFound)
	_, err = s1crets.Get(ctx, "memory", "/none", s1crets.Retry(2)) // another instance
	require.ErrorIs(t, err, s1crets.ErrNotFound)
	all := s1crets.AllStats()
	require.Contains(t, all, "memory")
	assert.Equal(t, "memory", all["memory"].Provider)
	assert.Equal(t, uint64(2), all["memory"].Calls.Get)
	assert.Equal(t, uint64(2), all["memory"].Errors.NotFound)
	require.NoError(t, s1crets.Close())
	assert.NotContains(t, s1crets.AllStats(), "memory")
}

// countingObserver is a comparable Observer: a pointer.
type countingObserver struct{ n int }

func (o *countingObserver) Observe(s1crets.Event) { o.n++ }

// TestObserveMemoized: Open and the simple API take a comparable Observer
// and memoize by it; a function is refused there with a message that says
// what to do, and accepted by a constructor.
func TestObserveMemoized(t *testing.T) {
	t.Cleanup(func() { _ = s1crets.Close() })
	ctx := context.Background()
	o := &countingObserver{}
	a, err := s1crets.Open(ctx, "memory", s1crets.Observe(o))
	require.NoError(t, err)
	b, err := s1crets.Open(ctx, "memory", s1crets.Observe(o))
	require.NoError(t, err)
	assert.Same(t, a, b, "the same Observer selects the same instance")
	c, err := s1crets.Open(ctx, "memory")
	require.NoError(t, err)
	assert.NotSame(t, a, c, "an instance without the Observer is another")

	_, err = s1crets.Get(ctx, "memory", "/x", s1crets.Observe(o))
	require.ErrorIs(t, err, s1crets.ErrNotFound)
	assert.Positive(t, o.n)

	fn := s1crets.ObserverFunc(func(s1crets.Event) {})
	_, err = s1crets.Open(ctx, "memory", s1crets.Observe(fn))
	require.ErrorIs(t, err, s1crets.ErrInvalid)
	assert.Contains(t, err.Error(), "not comparable")
	p, err := memory.New(nil, s1crets.Observe(fn))
	require.NoError(t, err)
	require.NoError(t, p.Close())

	_, err = s1crets.Open(ctx, "memory", s1crets.Observe(nil))
	require.ErrorIs(t, err, s1crets.ErrInvalid)
	_, err = p.Get(ctx, "/x", s1crets.Observe(o))
	require.ErrorIs(t, err, s1crets.ErrInvalid, "Observe is provider-level")
	assert.True(t, strings.Contains(err.Error(), "provider-level"))
}

// TestObserveMany: several Observe options each receive every event.
func TestObserveMany(t *testing.T) {
	r1, r2 := &obstest.Recorder{}, &obstest.Recorder{}
	p, err := memory.New(map[string]string{"/x": "1"}, s1crets.Observe(r1), s1crets.Observe(r2))
	require.NoError(t, err)
	defer p.Close()
	_, err = p.Get(context.Background(), "/x")
	require.NoError(t, err)
	assert.Equal(t, r1.Events(), r2.Events())
	assert.Len(t, r1.Events(), 2) // the remote call and the read
}

// TestStatsSharedTierAndRefresh: a read that another process's fetch
// answers through Redis is a shared hit; a refresh-ahead is counted and
// told; Redis stopped is a tier failure, never a failed read.
func TestStatsSharedTierAndRefresh(t *testing.T) {
	mr := miniredis.RunT(t)
	cfg := s1crets.CacheConfig{RedisURL: mr.Addr(), EncryptionKey: newKey(t), TTL: 10 * time.Minute,
		RefreshAhead: time.Minute, RedisTimeout: 100 * time.Millisecond, RedisLockWait: time.Hour}
	seed := map[string]string{"/x": "1", "/y": "2"}
	recA, recB := &obstest.Recorder{}, &obstest.Recorder{}
	a, clkA := newMem(t, seed, s1crets.Cache(cfg), memory.WithIdentity("one"), s1crets.Observe(recA))
	b, _ := newMem(t, seed, s1crets.Cache(cfg), memory.WithIdentity("one"), s1crets.Observe(recB))

	_, err := a.Get(ctx, "/x")
	require.NoError(t, err)
	_, err = b.Get(ctx, "/x")
	require.NoError(t, err)
	assert.Equal(t, s1crets.TierStats{Misses: 1}, a.Stats().Shared)
	assert.Equal(t, s1crets.CallStats{Get: 1, Identity: 1}, a.Stats().Calls)
	assert.Equal(t, s1crets.TierStats{Hits: 1}, b.Stats().Shared)
	assert.Equal(t, s1crets.TierStats{Misses: 1}, b.Stats().Memory)
	assert.Equal(t, s1crets.CallStats{Identity: 1}, b.Stats().Calls, "b asked no store")
	assert.Equal(t, 1, recB.Count(s1crets.EventFetch, func(e s1crets.Event) bool {
		return e.Source == s1crets.SourceShared && e.Missed == s1crets.Sources(0).With(s1crets.SourceMemory)
	}))

	clkA.Advance(9*time.Minute + 30*time.Second) // in the refresh window
	_, err = a.Get(ctx, "/x")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return a.Stats().InFlight == 0 }, time.Minute, time.Millisecond)
	assert.Equal(t, uint64(1), a.Stats().Refreshes)
	assert.Equal(t, 1, recA.Count(s1crets.EventRefresh, func(e s1crets.Event) bool { return e.Name == "/x" }))

	mr.Close()
	v, err := a.Get(ctx, "/y")
	require.NoError(t, err, "a tier failure is never the caller's error")
	assert.Equal(t, "2", v.Text())
	assert.Positive(t, a.Stats().Shared.Failures)
	assert.Positive(t, recA.Count(s1crets.EventTierFailure, func(e s1crets.Event) bool {
		return e.Source == s1crets.SourceShared && e.Op == "read"
	}))

	require.Error(t, a.Update(ctx, "/y", "3"), "Redis could not be invalidated")
	assert.Equal(t, 1, recA.Count(s1crets.EventTierFailure, func(e s1crets.Event) bool {
		return e.Source == s1crets.SourceShared && e.Op == "invalidate" && e.Err != nil
	}), "the listings' generation; the values' tier is skipped while it cools down after the failed read")
	assert.Equal(t, uint64(1), a.Stats().Calls.Update)
}

// TestStatsNegativeAndBackoff: a remembered not-found (NegativeTTL) is a
// memory hit that says not found; a read held back by the failure backoff
// is a miss that makes no remote call.
func TestStatsNegativeAndBackoff(t *testing.T) {
	rec := &obstest.Recorder{}
	store := obstest.New(workloadSecrets)
	p, err := obstest.Open("fake", store, s1crets.Cache(s1crets.CacheConfig{NegativeTTL: time.Minute}), s1crets.Observe(rec))
	require.NoError(t, err)
	defer p.Close()
	s1crets.SetClock(p, s1crets.NewFakeClock())
	for range 2 {
		_, err = p.Get(ctx, "/missing")
		require.ErrorIs(t, err, s1crets.ErrNotFound)
	}
	store.Fail("/a", driver.KindThrottled)
	for range 2 {
		_, err = p.Get(ctx, "/a")
		require.Error(t, err)
	}
	st := p.Stats()
	assert.Equal(t, s1crets.CallStats{Get: 2}, st.Calls, "the second /missing and the second /a ask no store")
	assert.Equal(t, s1crets.ErrorStats{NotFound: 1, Throttled: 1}, st.Errors)
	assert.Equal(t, s1crets.TierStats{Hits: 1, Misses: 3}, st.Memory)

	var reads []string
	for _, e := range rec.Events() {
		if e.Kind == s1crets.EventFetch {
			reads = append(reads, fmt.Sprintf("%s %s %s %d", e.Name, e.Source, e.Outcome, e.Attempts))
		}
	}
	assert.Equal(t, []string{
		"/missing store not_found 1",
		"/missing memory not_found 0",
		"/a store throttled 3",
		"/a store throttled 0", // held back: no attempt
	}, reads)
}
