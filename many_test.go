package s1crets_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/providers/memory"
)

func TestGetManyMemory(t *testing.T) {
	p, _ := newMem(t, map[string]string{"/a": "1", "/b": `{"k":"v"}`, "/c": "3"})
	_, err := p.Get(ctx, "/a")
	require.NoError(t, err)
	n := p.Calls()
	res, err := p.GetMany(ctx, []string{"/a", "/b", "/nope", "/c", "/b"})
	require.NoError(t, err)
	assert.Equal(t, "1", res.Values["/a"].Text())
	assert.Equal(t, "3", res.Values["/c"].Text())
	assert.Equal(t, []string{"/nope"}, res.Missing)
	assert.Empty(t, res.Failed)
	assert.Equal(t, n+3, p.Calls(), "the cached name is not fetched; the duplicate once")
	require.Error(t, res.Err())
	assert.ErrorIs(t, res.Err(), s1crets.ErrNotFound)
	assert.Contains(t, res.Err().Error(), `"/nope"`)

	res, err = p.GetMany(ctx, []string{"/a", "/b"}, s1crets.KeyPath("k"))
	require.NoError(t, err)
	assert.Equal(t, "v", res.Values["/b"].Text())
	assert.Equal(t, []string{"/a"}, res.Missing, "a key path missing in one secret")

	res, err = p.GetMany(ctx, []string{"/a", "/c"})
	require.NoError(t, err)
	assert.NoError(t, res.Err())

	_, err = p.GetMany(ctx, []string{"/a", ""})
	assert.ErrorIs(t, err, s1crets.ErrInvalid)
}

func TestGetManySimpleAPI(t *testing.T) {
	closeMemoized(t)
	res, err := s1crets.GetMany(ctx, "example", []string{"/prod/api/token", "/prod/none"})
	require.NoError(t, err)
	assert.Equal(t, "tok-123", res.Values["/prod/api/token"].Text())
	assert.Equal(t, []string{"/prod/none"}, res.Missing)
}

func TestRefreshAhead(t *testing.T) {
	p, clk := newMem(t, map[string]string{"/a": "1"},
		s1crets.Cache(s1crets.CacheConfig{TTL: 10 * time.Minute, RefreshAhead: time.Minute}))
	get := func() string {
		v, err := p.Get(ctx, "/a")
		require.NoError(t, err)
		return v.Text()
	}
	assert.Equal(t, "1", get())
	p.Put("/a", "2")
	clk.Advance(8 * time.Minute)
	assert.Equal(t, "1", get(), "before the refresh window: the cached value, no call")
	assert.EqualValues(t, 1, p.Calls())
	clk.Advance(90 * time.Second) // 9m30s: in the last minute
	assert.Equal(t, "1", get(), "in the window: served at once from the cache...")
	require.Eventually(t, func() bool { return p.Calls() == 2 }, time.Minute, time.Millisecond,
		"...and refreshed in the background")
	for range 10 {
		get()
	}
	assert.EqualValues(t, 2, p.Calls(), "refreshed once")
	require.Eventually(t, func() bool { return get() == "2" }, time.Minute, time.Millisecond)
	clk.Advance(60 * time.Second) // past the first entry's expiry: the refreshed one is fresh
	assert.Equal(t, "2", get())
	assert.EqualValues(t, 2, p.Calls(), "the refreshed entry has a new TTL")
}

// A read in the refresh window answers from the cache at once, also for a
// caller whose context can never be cancelled: the refresh runs in the
// background.
func TestRefreshAheadDoesNotWait(t *testing.T) {
	g := newGated("1")
	c := newClient(t, "gated", g, s1crets.Cache(s1crets.CacheConfig{TTL: 10 * time.Minute, RefreshAhead: time.Minute}))
	clk := s1crets.NewFakeClock()
	s1crets.SetClock(c, clk)
	g.holding.Store(false)
	_, err := c.Get(ctx, "/slow")
	require.NoError(t, err)
	g.holding.Store(true)
	g.value.Store("2")
	clk.Advance(9*time.Minute + 30*time.Second)

	got := make(chan string, 1)
	go func() { v, _ := c.Get(ctx, "/slow"); got <- v.Text() }()
	h := <-g.held // the refresh is in flight
	select {
	case v := <-got:
		assert.Equal(t, "1", v, "the cached value, at once")
	case <-time.After(5 * time.Second):
		t.Error("a read in the refresh window waited for the refresh")
	}
	close(h.release)
	require.Eventually(t, func() bool {
		v, err := c.Get(ctx, "/slow")
		return err == nil && v.Text() == "2"
	}, 5*time.Second, time.Millisecond, "the refresh stored the new value")
	assert.EqualValues(t, 2, g.calls.Load())
}

func TestJitter(t *testing.T) {
	seed := map[string]string{}
	for i := range 200 {
		seed["/k/"+itoa(i)] = "v"
	}
	p, clk := newMem(t, seed, s1crets.Cache(s1crets.CacheConfig{TTL: 10 * time.Minute, Jitter: 5 * time.Minute}))
	for i := range 200 {
		_, _ = p.Get(ctx, "/k/"+itoa(i))
	}
	clk.Advance(7*time.Minute + 30*time.Second)
	for i := range 200 {
		_, _ = p.Get(ctx, "/k/"+itoa(i))
	}
	refetched := p.Calls() - 200
	// Each entry lives 5 to 10 minutes: at 7m30s about half have expired.
	assert.Greater(t, refetched, int64(40), "some entries expired early")
	assert.Less(t, refetched, int64(160), "some entries live on")
}

func TestMaxStale(t *testing.T) {
	b := &flaky{value: "v1"}
	c := newClient(t, "flaky", b, s1crets.Cache(s1crets.CacheConfig{TTL: time.Minute, MaxStale: 10 * time.Minute}))
	clk := s1crets.NewFakeClock()
	s1crets.SetClock(c, clk)
	v, err := c.Get(ctx, "/a")
	require.NoError(t, err)
	assert.False(t, v.Stale())

	clk.Advance(2 * time.Minute)
	b.setErr(errThrottled)
	v, err = c.Get(ctx, "/a")
	require.NoError(t, err, "a transient failure within MaxStale serves the stale value")
	assert.Equal(t, "v1", v.Text())
	assert.True(t, v.Stale(), "and says so")
	_, err = c.Get(ctx, "/a", s1crets.KeyPath("x"))
	assert.ErrorIs(t, err, s1crets.ErrNotFound)

	clk.Advance(10 * time.Minute) // 11 minutes past expiry
	_, err = c.Get(ctx, "/a")
	assert.ErrorIs(t, err, errThrottled, "not beyond MaxStale")

	b2 := &flaky{value: "v1"}
	c2 := newClient(t, "flaky", b2, s1crets.Cache(s1crets.CacheConfig{TTL: time.Minute, MaxStale: 10 * time.Minute}))
	clk2 := s1crets.NewFakeClock()
	s1crets.SetClock(c2, clk2)
	_, err = c2.Get(ctx, "/a")
	require.NoError(t, err)
	clk2.Advance(2 * time.Minute)
	for _, e := range []error{s1crets.ErrNotFound, errors.New("access denied")} {
		b2.setErr(e)
		_, err = c2.Get(ctx, "/a")
		assert.ErrorIs(t, err, e, "never stale for not-found or denied")
	}

	// Without MaxStale, an expired value is never served.
	b3 := &flaky{value: "v1"}
	c3 := newClient(t, "flaky", b3, s1crets.Cache(s1crets.CacheConfig{TTL: time.Minute}))
	clk3 := s1crets.NewFakeClock()
	s1crets.SetClock(c3, clk3)
	_, err = c3.Get(ctx, "/a")
	require.NoError(t, err)
	clk3.Advance(2 * time.Minute)
	b3.setErr(errThrottled)
	_, err = c3.Get(ctx, "/a")
	assert.ErrorIs(t, err, errThrottled)
}

func TestNewCacheOptionsValidation(t *testing.T) {
	for _, cfg := range []s1crets.CacheConfig{
		{RefreshAhead: -1}, {RefreshAhead: s1crets.DefaultCacheTTL}, {TTL: time.Minute, Jitter: time.Minute}, {Jitter: -1}, {MaxStale: -1},
	} {
		_, err := memory.New(nil, s1crets.Cache(cfg))
		assert.ErrorIs(t, err, s1crets.ErrInvalid, "%+v", cfg)
		_, err = s1crets.Open(ctx, "memory", s1crets.Cache(cfg))
		assert.ErrorIs(t, err, s1crets.ErrInvalid, "%+v", cfg)
	}
}

func TestRefreshAheadThroughOtherReads(t *testing.T) {
	p, clk := newMem(t, map[string]string{"/a": "1"},
		s1crets.Cache(s1crets.CacheConfig{TTL: 10 * time.Minute, RefreshAhead: time.Minute}))
	_, err := p.Get(ctx, "/a")
	require.NoError(t, err)
	clk.Advance(9*time.Minute + 30*time.Second)
	ok, err := p.PathExists(ctx, "/a")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.EqualValues(t, 1, p.Calls(), "PathExists answers from the cache...")
	_, err = p.GetMany(ctx, []string{"/a"})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return p.Calls() == 2 }, time.Minute, time.Millisecond,
		"...without using up the refresh, which a later read still starts")
}
