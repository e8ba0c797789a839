package s1crets_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/driver"
	"github.com/s1crets/s1crets/providers/memory"
)

var ctx = context.Background()

// newMem returns a memory provider on a fake clock, closed when the test
// ends.
func newMem(t *testing.T, seed map[string]string, opts ...s1crets.Option) (*memory.Provider, *s1crets.FakeClock) {
	t.Helper()
	p, err := memory.New(seed, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, p.Close()) })
	c := s1crets.NewFakeClock()
	s1crets.SetClock(p.Client, c)
	return p, c
}

// newMap returns a Client over a mapStore, which accepts every Query
// setting (the memory store refuses the version selectors).
func newMap(t *testing.T, seed map[string]string, opts ...s1crets.Option) (*s1crets.Client, *mapStore) {
	t.Helper()
	s := newMapStore(seed)
	return newClient(t, "map", s, opts...), s
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
	c, s := newMap(t, map[string]string{"/j": `{"a":1,"b":2}`})
	_, _ = c.Get(ctx, "/j", s1crets.KeyPath("a"))
	_, _ = c.Get(ctx, "/j", s1crets.KeyPath("b"))
	_, _ = c.Get(ctx, "/j")
	assert.EqualValues(t, 1, s.calls.Load(), "one fetch serves every key path")
	_, _ = c.Get(ctx, "/j", s1crets.Decrypt(false))
	_, _ = c.Get(ctx, "/j", s1crets.VersionStage("AWSPREVIOUS"))
	_, _ = c.Get(ctx, "/j", s1crets.VersionID("v1"))
	assert.EqualValues(t, 4, s.calls.Load(), "decrypt, stage and id are part of the key")
	_, _ = c.Get(ctx, "/j", s1crets.Decrypt(false))
	assert.EqualValues(t, 4, s.calls.Load())

	_, _ = c.GetByPath(ctx, "/")
	_, _ = c.GetByPath(ctx, "/", s1crets.Recursive(false))
	_, _ = c.GetByPath(ctx, "/", s1crets.Decrypt(false))
	assert.EqualValues(t, 7, s.calls.Load(), "recursive and decrypt are part of a listing's key")
}

func TestUpdateInvalidatesEveryVariant(t *testing.T) {
	c, s := newMap(t, map[string]string{"/a": "1", "/b": "x"})
	for _, o := range [][]s1crets.Option{nil, {s1crets.Decrypt(false)}, {s1crets.VersionStage("S")}} {
		v, err := c.Get(ctx, "/a", o...)
		require.NoError(t, err)
		require.Equal(t, "1", v.Text())
	}
	_, _ = c.Get(ctx, "/b")
	_, _ = c.GetByPath(ctx, "/", s1crets.Recursive(false))
	require.NoError(t, c.Update(ctx, "/a", "2"))
	n := s.calls.Load()
	for _, o := range [][]s1crets.Option{nil, {s1crets.Decrypt(false)}, {s1crets.VersionStage("S")}} {
		v, err := c.Get(ctx, "/a", o...)
		require.NoError(t, err)
		assert.Equal(t, "2", v.Text())
	}
	assert.Equal(t, n+3, s.calls.Load(), "each variant of /a was dropped")
	m, err := c.GetByPath(ctx, "/", s1crets.Recursive(false))
	require.NoError(t, err)
	assert.Equal(t, "2", m["/a"].Text(), "listings were dropped")
	n = s.calls.Load()
	_, _ = c.Get(ctx, "/b")
	assert.Equal(t, n, s.calls.Load(), "other keys stay cached")
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

func TestSingleFlight(t *testing.T) {
	g := newGated("v")
	c := newClient(t, "gated", g)
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
	h := <-g.held                     // the read is in flight
	time.Sleep(20 * time.Millisecond) // let the goroutines reach Get; the count holds either way
	close(h.release)
	done.Wait()
	assert.EqualValues(t, 1, g.calls.Load(), "1,000 concurrent misses make one call")
	assert.Zero(t, wrong.Load())
}

func TestNoLockHeldOverRemoteCall(t *testing.T) {
	g := newGated("v")
	c := newClient(t, "gated", g)
	_, err := c.Get(ctx, "/fast")
	require.NoError(t, err)
	slow := make(chan error)
	go func() { _, err := c.Get(ctx, "/slow"); slow <- err }()
	h := <-g.held // the slow read is in flight
	// While it is, hits, other misses and updates go through.
	_, err = c.Get(ctx, "/fast")
	require.NoError(t, err)
	_, err = c.Get(ctx, "/other")
	require.NoError(t, err)
	require.NoError(t, c.Update(ctx, "/fast", "w"))
	close(h.release)
	assert.NoError(t, <-slow)
	assert.EqualValues(t, 3, g.calls.Load())
}

func TestCancelledCallerReturnsPromptly(t *testing.T) {
	g := newGated("v")
	c := newClient(t, "gated", g)
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error)
	go func() { _, err := c.Get(cctx, "/slow"); errc <- err }()
	h := <-g.held
	// A second caller joins the same flight with a live context.
	resc := make(chan string)
	go func() { v, _ := c.Get(ctx, "/slow"); resc <- v.Text() }()
	cancel()
	err := <-errc
	assert.ErrorIs(t, err, context.Canceled)
	close(h.release)
	assert.Equal(t, "v", <-resc, "the other caller still gets the value")
	assert.EqualValues(t, 1, g.calls.Load())
}

func TestReadYourWritesAcrossInFlightFetch(t *testing.T) {
	// A fetch that started before an Update must not put its old value in
	// the cache after the Update returned.
	g := newGated("old")
	c := newClient(t, "gated", g)
	res := make(chan string)
	go func() { v, _ := c.Get(ctx, "/slow"); res <- v.Text() }()
	h := <-g.held // the store answered "old"; the answer is in flight
	require.NoError(t, c.Update(ctx, "/slow", "new"))
	close(h.release)
	<-res // the flight ended after the Update
	g.holding.Store(false)
	v, err := c.Get(ctx, "/slow")
	require.NoError(t, err)
	assert.Equal(t, "new", v.Text(), "the old answer was not cached")
	assert.EqualValues(t, 2, g.calls.Load())

	// A Get after Update starts its own fetch instead of joining the one in
	// flight.
	g2 := newGated("old")
	c2 := newClient(t, "gated", g2)
	res = make(chan string)
	go func() { v, _ := c2.Get(ctx, "/slow"); res <- v.Text() }()
	h = <-g2.held
	require.NoError(t, c2.Update(ctx, "/slow", "new"))
	res2 := make(chan string)
	go func() { v, _ := c2.Get(ctx, "/slow"); res2 <- v.Text() }()
	h2 := <-g2.held // a second read: the Get did not join the first
	close(h.release)
	close(h2.release)
	<-res
	assert.Equal(t, "new", <-res2)
	v, err = c2.Get(ctx, "/slow")
	require.NoError(t, err)
	assert.Equal(t, "new", v.Text())
}

func TestCacheConfigValidation(t *testing.T) {
	for _, cfg := range []s1crets.CacheConfig{{Size: -1}, {TTL: -time.Second}} {
		_, err := memory.New(nil, s1crets.Cache(cfg))
		assert.ErrorIs(t, err, s1crets.ErrInvalid)
		_, err = s1crets.Open(ctx, "memory", s1crets.Cache(cfg))
		assert.ErrorIs(t, err, s1crets.ErrInvalid)
		assert.ErrorContains(t, err, "cache")
		_, err = s1crets.New(ctx, "x", opener(newGated("v")), s1crets.Cache(cfg))
		assert.ErrorIs(t, err, s1crets.ErrInvalid)
	}
	_, err := s1crets.New(ctx, "x", nil)
	assert.ErrorIs(t, err, s1crets.ErrInvalid, "a nil Opener")
	_, err = s1crets.New(ctx, "x", opener(nil))
	assert.ErrorContains(t, err, "nil Store")
	_, err = s1crets.New(ctx, "x", func(context.Context, driver.Config) (driver.Store, error) {
		return nil, errors.New("no store today")
	})
	assert.ErrorContains(t, err, "no store today")
}

func TestCacheHitAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	p, _ := newMem(t, map[string]string{"/a": "1", "/j": `{"user":"admin"}`})
	_, err := p.Get(ctx, "/a")
	require.NoError(t, err)
	_, err = p.Get(ctx, "/j")
	require.NoError(t, err)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { _, _ = p.Get(ctx, "/a") }), "a cache hit")
	kp := s1crets.KeyPath("user") // built once, as a program would
	v, err := p.Get(ctx, "/j", kp)
	require.NoError(t, err)
	require.Equal(t, "admin", v.Text())
	assert.Zero(t, testing.AllocsPerRun(1000, func() { _, _ = p.Get(ctx, "/j", kp) }), "a cache hit with a key path")
	closeMemoized(t)
	_, err = s1crets.Get(ctx, "example", "/prod/api/token")
	require.NoError(t, err)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { _, _ = s1crets.Get(ctx, "example", "/prod/api/token") }),
		"a cache hit through the provider name")
}
