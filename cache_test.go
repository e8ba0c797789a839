package s1crets_test

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/providers/memory"
)

var ctx = context.Background()

func newMem(t *testing.T, seed map[string]string, opts ...s1crets.Option) (*memory.Provider, *s1crets.FakeClock) {
	t.Helper()
	p, err := memory.New(seed, opts...)
	require.NoError(t, err)
	c := s1crets.NewFakeClock()
	s1crets.SetClock(p.Cached, c)
	return p, c
}

func TestCacheTTL(t *testing.T) {
	p, clk := newMem(t, map[string]string{"/a": "1"})
	get := func() string {
		v, err := p.Get(ctx, "/a")
		require.NoError(t, err)
		return v.Text()
	}
	assert.Equal(t, "1", get())
	p.Put("/a", "2") // another writer: the cache keeps serving "1"
	clk.Advance(s1crets.DefaultCacheTTL - time.Second)
	assert.Equal(t, "1", get())
	assert.EqualValues(t, 1, p.Calls())
	clk.Advance(time.Second)
	assert.Equal(t, "2", get(), "an entry expires after 15 minutes by default")
	assert.EqualValues(t, 2, p.Calls())

	p2, clk2 := newMem(t, map[string]string{"/a": "1"}, s1crets.Cache(s1crets.CacheConfig{TTL: time.Minute}))
	_, _ = p2.Get(ctx, "/a")
	clk2.Advance(59 * time.Second)
	_, _ = p2.Get(ctx, "/a")
	assert.EqualValues(t, 1, p2.Calls())
	clk2.Advance(time.Second)
	_, _ = p2.Get(ctx, "/a")
	assert.EqualValues(t, 2, p2.Calls(), "a configured TTL")

	m, err := p2.GetByPath(ctx, "/")
	require.NoError(t, err)
	require.Len(t, m, 1)
	clk2.Advance(time.Minute)
	_, _ = p2.GetByPath(ctx, "/")
	assert.EqualValues(t, 4, p2.Calls(), "listings expire too")
}

func TestCacheSizeLRU(t *testing.T) {
	seed := map[string]string{"/a": "a", "/b": "b", "/c": "c"}
	p, _ := newMem(t, seed, s1crets.Cache(s1crets.CacheConfig{Size: 2}))
	for _, k := range []string{"/a", "/b", "/a", "/c"} { // /b is the least recently used
		_, err := p.Get(ctx, k)
		require.NoError(t, err)
	}
	assert.EqualValues(t, 3, p.Calls())
	_, _ = p.Get(ctx, "/a")
	assert.EqualValues(t, 3, p.Calls(), "/a stayed")
	_, _ = p.Get(ctx, "/b")
	assert.EqualValues(t, 4, p.Calls(), "/b was evicted")
}

func TestCacheDefaultSize(t *testing.T) {
	seed := map[string]string{}
	for i := range 1001 {
		seed["/k/"+itoa(i)] = "v"
	}
	p, _ := newMem(t, seed)
	for i := range 1001 {
		_, _ = p.Get(ctx, "/k/"+itoa(i))
	}
	_, _ = p.Get(ctx, "/k/1000")
	assert.EqualValues(t, 1001, p.Calls(), "the newest entry stays")
	_, _ = p.Get(ctx, "/k/0")
	assert.EqualValues(t, 1002, p.Calls(), "the 1001st entry evicted the oldest: 1000 entries by default")
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestCacheDisabled(t *testing.T) {
	p, _ := newMem(t, map[string]string{"/a": "1"}, s1crets.Cache(s1crets.CacheConfig{Disabled: true}))
	for range 3 {
		_, err := p.Get(ctx, "/a")
		require.NoError(t, err)
	}
	assert.EqualValues(t, 3, p.Calls())
}

func TestCacheKeyHoldsOptionsNotKeyPath(t *testing.T) {
	p, _ := newMem(t, map[string]string{"/j": `{"a":1,"b":2}`})
	_, _ = p.Get(ctx, "/j", s1crets.KeyPath("a"))
	_, _ = p.Get(ctx, "/j", s1crets.KeyPath("b"))
	_, _ = p.Get(ctx, "/j")
	assert.EqualValues(t, 1, p.Calls(), "one fetch serves every key path")
	_, _ = p.Get(ctx, "/j", s1crets.Decrypt(false))
	_, _ = p.Get(ctx, "/j", s1crets.VersionStage("AWSPREVIOUS"))
	_, _ = p.Get(ctx, "/j", s1crets.VersionID("v1"))
	assert.EqualValues(t, 4, p.Calls(), "decrypt, stage and id are part of the key")
	_, _ = p.Get(ctx, "/j", s1crets.Decrypt(false))
	assert.EqualValues(t, 4, p.Calls())

	_, _ = p.GetByPath(ctx, "/")
	_, _ = p.GetByPath(ctx, "/", s1crets.Recursive(false))
	_, _ = p.GetByPath(ctx, "/", s1crets.Decrypt(false))
	assert.EqualValues(t, 7, p.Calls(), "recursive and decrypt are part of a listing's key")
}

func TestUpdateInvalidatesEveryVariant(t *testing.T) {
	p, _ := newMem(t, map[string]string{"/a": "1", "/b": "x"})
	for _, o := range [][]s1crets.Option{nil, {s1crets.Decrypt(false)}, {s1crets.VersionStage("S")}} {
		v, err := p.Get(ctx, "/a", o...)
		require.NoError(t, err)
		require.Equal(t, "1", v.Text())
	}
	_, _ = p.Get(ctx, "/b")
	_, _ = p.GetByPath(ctx, "/", s1crets.Recursive(false))
	require.NoError(t, p.Update(ctx, "/a", "2"))
	n := p.Calls()
	for _, o := range [][]s1crets.Option{nil, {s1crets.Decrypt(false)}, {s1crets.VersionStage("S")}} {
		v, err := p.Get(ctx, "/a", o...)
		require.NoError(t, err)
		assert.Equal(t, "2", v.Text())
	}
	assert.Equal(t, n+3, p.Calls(), "each variant of /a was dropped")
	m, err := p.GetByPath(ctx, "/", s1crets.Recursive(false))
	require.NoError(t, err)
	assert.Equal(t, "2", m["/a"].Text(), "listings were dropped")
	n = p.Calls()
	_, _ = p.Get(ctx, "/b")
	assert.Equal(t, n, p.Calls(), "other keys stay cached")
}

func TestNoCacheStoresFreshValue(t *testing.T) {
	p, _ := newMem(t, map[string]string{"/a": "1"})
	_, _ = p.Get(ctx, "/a")
	p.Put("/a", "2")
	v, err := p.Get(ctx, "/a", s1crets.NoCache())
	require.NoError(t, err)
	assert.Equal(t, "2", v.Text())
	v, err = p.Get(ctx, "/a")
	require.NoError(t, err)
	assert.Equal(t, "2", v.Text(), "the fresh value was stored")
	assert.EqualValues(t, 2, p.Calls())
}

func TestErrorsAreNotCached(t *testing.T) {
	p, _ := newMem(t, map[string]string{})
	_, err := p.Get(ctx, "/a")
	require.ErrorIs(t, err, s1crets.ErrNotFound)
	p.Put("/a", "now")
	v, err := p.Get(ctx, "/a")
	require.NoError(t, err)
	assert.Equal(t, "now", v.Text())
}

// gated is a Backend whose fetches wait for a gate, to hold calls in flight.
type gated struct {
	calls   atomic.Int64
	gate    chan struct{}
	started chan string
	value   atomic.Value // string
}

func (g *gated) Fetch(ctx context.Context, path string, q s1crets.Query) (s1crets.Value, error) {
	g.calls.Add(1)
	if g.started != nil {
		g.started <- path
	}
	if path == "/slow" {
		<-g.gate
	}
	return s1crets.NewValue(g.value.Load().(string)), nil
}

func (g *gated) FetchByPath(ctx context.Context, path string, q s1crets.Query) (map[string]s1crets.Value, error) {
	return map[string]s1crets.Value{}, nil
}

func (g *gated) Store(ctx context.Context, path, value string) error {
	g.value.Store(value)
	return nil
}

func TestSingleFlight(t *testing.T) {
	g := &gated{gate: make(chan struct{})}
	g.value.Store("v")
	c, err := s1crets.NewCached("gated", g, s1crets.CacheConfig{})
	require.NoError(t, err)
	var ready, done sync.WaitGroup
	var wrong atomic.Int64
	for range 1000 {
		ready.Add(1)
		done.Go(func() {
			ready.Done()
			v, err := c.Get(ctx, "/slow")
			if err != nil || v.Text() != "v" {
				wrong.Add(1)
			}
		})
	}
	ready.Wait()
	time.Sleep(20 * time.Millisecond) // let the goroutines reach Get; the count holds either way
	close(g.gate)
	done.Wait()
	assert.EqualValues(t, 1, g.calls.Load(), "1,000 concurrent misses make one call")
	assert.Zero(t, wrong.Load())
}

func TestNoLockHeldOverRemoteCall(t *testing.T) {
	g := &gated{gate: make(chan struct{}), started: make(chan string, 10)}
	g.value.Store("v")
	c, err := s1crets.NewCached("gated", g, s1crets.CacheConfig{})
	require.NoError(t, err)
	_, err = c.Get(ctx, "/fast")
	require.NoError(t, err)
	<-g.started
	go func() { _, _ = c.Get(ctx, "/slow") }()
	<-g.started // the slow fetch is in flight
	// While it is, hits, other misses and updates go through.
	_, err = c.Get(ctx, "/fast")
	require.NoError(t, err)
	_, err = c.Get(ctx, "/other")
	require.NoError(t, err)
	<-g.started
	require.NoError(t, c.Update(ctx, "/fast", "w"))
	close(g.gate)
}

func TestCancelledCallerReturnsPromptly(t *testing.T) {
	g := &gated{gate: make(chan struct{}), started: make(chan string, 10)}
	g.value.Store("v")
	c, err := s1crets.NewCached("gated", g, s1crets.CacheConfig{})
	require.NoError(t, err)
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error)
	go func() { _, err := c.Get(cctx, "/slow"); errc <- err }()
	<-g.started
	// A second caller joins the same flight with a live context.
	resc := make(chan string)
	go func() { v, _ := c.Get(ctx, "/slow"); resc <- v.Text() }()
	cancel()
	err = <-errc
	assert.ErrorIs(t, err, context.Canceled)
	close(g.gate)
	assert.Equal(t, "v", <-resc, "the other caller still gets the value")
	assert.EqualValues(t, 1, g.calls.Load())
}

func TestReadYourWritesAcrossInFlightFetch(t *testing.T) {
	// A fetch that started before an Update must not put its old value in
	// the cache after the Update returned.
	g := &gated{gate: make(chan struct{}), started: make(chan string, 10)}
	g.value.Store("old")
	c, err := s1crets.NewCached("gated", g, s1crets.CacheConfig{})
	require.NoError(t, err)
	res := make(chan string)
	go func() { v, _ := c.Get(ctx, "/slow"); res <- v.Text() }()
	<-g.started
	require.NoError(t, c.Update(ctx, "/slow", "new"))
	// A Get after Update starts its own fetch instead of joining the old one.
	res2 := make(chan string)
	go func() { v, _ := c.Get(ctx, "/slow"); res2 <- v.Text() }()
	<-g.started
	close(g.gate)
	<-res
	assert.Equal(t, "new", <-res2)
	v, err := c.Get(ctx, "/slow")
	require.NoError(t, err)
	assert.Equal(t, "new", v.Text())
}

func TestNoGoroutinePerCache(t *testing.T) {
	runtime.GC()
	before := runtime.NumGoroutine()
	for range 100 {
		p, err := memory.New(map[string]string{"/a": "1"})
		require.NoError(t, err)
		_, err = p.Get(ctx, "/a")
		require.NoError(t, err)
	}
	runtime.GC()
	assert.LessOrEqual(t, runtime.NumGoroutine(), before, "100 providers created and dropped leave no goroutine")
}

func TestCacheConfigValidation(t *testing.T) {
	for _, cfg := range []s1crets.CacheConfig{{Size: -1}, {TTL: -time.Second}} {
		_, err := memory.New(nil, s1crets.Cache(cfg))
		assert.ErrorIs(t, err, s1crets.ErrInvalid)
		_, err = s1crets.Open(ctx, "memory", s1crets.Cache(cfg))
		assert.ErrorIs(t, err, s1crets.ErrInvalid)
		assert.ErrorContains(t, err, "cache")
		_, err = s1crets.NewCached("x", &gated{}, cfg)
		assert.ErrorIs(t, err, s1crets.ErrInvalid)
	}
	_, err := s1crets.NewCached("x", nil, s1crets.CacheConfig{})
	assert.ErrorIs(t, err, s1crets.ErrInvalid)
}

func TestCacheHitAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	p, _ := newMem(t, map[string]string{"/a": "1"})
	_, err := p.Get(ctx, "/a")
	require.NoError(t, err)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { _, _ = p.Get(ctx, "/a") }), "a cache hit")
	_, err = s1crets.Get(ctx, "example", "/prod/api/token")
	require.NoError(t, err)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { _, _ = s1crets.Get(ctx, "example", "/prod/api/token") }),
		"a cache hit through the provider name")
}
