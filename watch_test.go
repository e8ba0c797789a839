package s1crets_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
)

// Watch: the current value now, then each new value, from the refresh the
// cache does before the entry expires (one per secret, whatever the number
// of watchers) and at once after an Update.
func TestWatch(t *testing.T) {
	ctx := context.Background()
	s := newFakeStore(map[string]string{"/db/password": "p1"})
	c := open(t, s, s1crets.CacheConfig{TTL: 10 * time.Minute})
	clk := s1crets.NewFakeClock()
	s1crets.SetClock(c, clk)

	first, second := make(chan string, 10), make(chan string, 10)
	v, stop1, err := c.Watch(ctx, "/db/password", func(v s1crets.Value) { first <- v.Text() })
	require.NoError(t, err)
	assert.Equal(t, "p1", v.Text())
	_, stop2, err := c.Watch(ctx, "/db/password", func(v s1crets.Value) { second <- v.Text() })
	require.NoError(t, err)
	defer stop2()
	assert.EqualValues(t, 1, s.gets.Load())

	// Rotated behind the cache's back: heard at the next refresh, before
	// the entry expires, with no read by the program.
	s.set("/db/password", "p2")
	clk.Advance(8 * time.Minute)
	assert.Empty(t, first, "not yet: the refresh is due at 9 minutes")
	clk.Advance(time.Minute + time.Second)
	assert.Equal(t, "p2", <-first)
	assert.Equal(t, "p2", <-second)
	assert.EqualValues(t, 2, s.gets.Load(), "one refresh for both watchers")

	// An unchanged value is not told again.
	clk.Advance(9*time.Minute + time.Second)
	require.Eventually(t, func() bool { return s.gets.Load() == 3 }, time.Minute, time.Millisecond)

	// An Update through this client is heard at once.
	require.NoError(t, c.Update(ctx, "/db/password", "p3"))
	assert.Equal(t, "p3", <-first)
	assert.Equal(t, "p3", <-second)
	assert.Empty(t, first, "p2 to p2 was not a change")

	// A stopped watcher hears nothing more.
	stop1()
	require.NoError(t, c.Update(ctx, "/db/password", "p4"))
	assert.Equal(t, "p4", <-second)
	assert.Empty(t, first)

	_, _, err = c.Watch(ctx, "/db/password", nil)
	require.ErrorIs(t, err, s1crets.ErrInvalid)
	_, _, err = c.Watch(ctx, "/db/password", func(s1crets.Value) {}, s1crets.KeyPath("x"))
	require.ErrorIs(t, err, s1crets.ErrInvalid)
	_, _, err = c.Watch(ctx, "/nope", func(s1crets.Value) {})
	require.ErrorIs(t, err, s1crets.ErrNotFound)
}
