package s1crets_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
)

// Invalidate drops every cached form of one secret, in memory and in the
// shared tier, so that the next read (here, and in a fresh process) asks
// the store.
func TestInvalidate(t *testing.T) {
	ctx := context.Background()
	url, _ := sharedTier(t)
	s := newFakeStore(map[string]string{"/a": "v1", "/b": "b1"})
	s.aliases["arn:fake:parameter/a"] = "/a"
	c := open(t, s, sharedCfg(url))
	for _, n := range []string{"/a", "arn:fake:parameter/a", "/b"} {
		_, err := c.Get(ctx, n)
		require.NoError(t, err)
	}
	_, err := c.GetByPath(ctx, "/")
	require.NoError(t, err)
	s.set("/a", "v2") // changed behind the cache's back
	before := s.gets.Load()

	require.NoError(t, c.Invalidate(ctx, "arn:fake:parameter/a"))
	v, err := c.Get(ctx, "/a")
	require.NoError(t, err)
	assert.Equal(t, "v2", v.Text(), "invalidated by its ARN: the name is dropped too")
	v, err = c.Get(ctx, "arn:fake:parameter/a")
	require.NoError(t, err)
	assert.Equal(t, "v2", v.Text())
	m, err := c.GetByPath(ctx, "/")
	require.NoError(t, err)
	assert.Equal(t, "v2", m["/a"].Text(), "listings are dropped")
	_, err = c.Get(ctx, "/b")
	require.NoError(t, err)
	assert.EqualValues(t, before+3, s.gets.Load(), "/b stayed cached")

	fresh := newFakeStore(map[string]string{"/a": "v3"})
	require.NoError(t, open(t, fresh, sharedCfg(url)).Invalidate(ctx, "/a"))
	v, err = open(t, newFakeStore(map[string]string{"/a": "v3"}), sharedCfg(url)).Get(ctx, "/a")
	require.NoError(t, err)
	assert.Equal(t, "v3", v.Text(), "the shared tier entry was dropped")

	require.ErrorIs(t, c.Invalidate(ctx, ""), s1crets.ErrInvalid)
}

// MaxAge accepts a cached value only if the store answered it at most d
// ago; MaxAge(0) is a fresh read.
func TestMaxAge(t *testing.T) {
	ctx := context.Background()
	s := newFakeStore(map[string]string{"/a": "v1"})
	c := open(t, s, s1crets.CacheConfig{TTL: time.Hour})
	clk := s1crets.NewFakeClock()
	s1crets.SetClock(c, clk)
	_, err := c.Get(ctx, "/a")
	require.NoError(t, err)
	s.set("/a", "v2")

	clk.Advance(30 * time.Second)
	v, err := c.Get(ctx, "/a", s1crets.MaxAge(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, "v1", v.Text(), "30s old: young enough")
	assert.EqualValues(t, 1, s.gets.Load())

	clk.Advance(time.Minute)
	v, err = c.Get(ctx, "/a", s1crets.MaxAge(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, "v2", v.Text(), "90s old: asked again")
	assert.EqualValues(t, 2, s.gets.Load())
	v, err = c.Get(ctx, "/a")
	require.NoError(t, err)
	assert.Equal(t, "v2", v.Text(), "and the cache holds the fresh value")

	_, err = c.Get(ctx, "/a", s1crets.MaxAge(0))
	require.NoError(t, err)
	assert.EqualValues(t, 3, s.gets.Load(), "MaxAge(0) is a fresh read")

	m, err := c.GetMany(ctx, []string{"/a"}, s1crets.MaxAge(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, "v2", m.Values["/a"].Text())
	assert.EqualValues(t, 3, s.gets.Load())
	_, err = c.GetMany(ctx, []string{"/a"}, s1crets.MaxAge(0))
	require.NoError(t, err)
	assert.EqualValues(t, 4, s.gets.Load())

	_, err = c.Get(ctx, "/a", s1crets.MaxAge(-time.Second))
	require.ErrorIs(t, err, s1crets.ErrInvalid)
}

// NegativeTTL remembers a missing secret for a while (off by default);
// Update and Invalidate forget it.
func TestNegativeCaching(t *testing.T) {
	ctx := context.Background()
	s := newFakeStore(map[string]string{})
	off := open(t, s, s1crets.CacheConfig{})
	for range 3 {
		_, err := off.Get(ctx, "/optional")
		require.ErrorIs(t, err, s1crets.ErrNotFound)
	}
	assert.EqualValues(t, 3, s.gets.Load(), "off by default")

	s2 := newFakeStore(map[string]string{})
	c := open(t, s2, s1crets.CacheConfig{NegativeTTL: 30 * time.Second})
	clk := s1crets.NewFakeClock()
	s1crets.SetClock(c, clk)
	for range 100 {
		v, err := c.Get(ctx, "/optional", s1crets.Default("fallback"))
		require.NoError(t, err)
		assert.Equal(t, "fallback", v.Text())
	}
	m, err := c.GetMany(ctx, []string{"/optional"})
	require.NoError(t, err)
	assert.Equal(t, []string{"/optional"}, m.Missing)
	assert.EqualValues(t, 1, s2.gets.Load(), "a hot loop over an optional secret: one call")

	s2.set("/optional", "now-here")
	clk.Advance(31 * time.Second)
	v, err := c.Get(ctx, "/optional")
	require.NoError(t, err)
	assert.Equal(t, "now-here", v.Text(), "remembered for NegativeTTL only")

	// Invalidate forgets an absence.
	_, err = c.Get(ctx, "/gone")
	require.ErrorIs(t, err, s1crets.ErrNotFound)
	s2.set("/gone", "back")
	require.NoError(t, c.Invalidate(ctx, "/gone"))
	v, err = c.Get(ctx, "/gone")
	require.NoError(t, err)
	assert.Equal(t, "back", v.Text())
}
