package s1crets_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
)

// During an outage, a secret is asked for once per backoff delay, however
// many reads come; reads in between get the last error at once, or the
// stale value when MaxStale allows it; the first read after the store
// recovers and the delay passes gets the fresh value.
func TestFailureBackoff(t *testing.T) {
	ctx := context.Background()
	for _, stale := range []bool{false, true} {
		name := "error"
		cfg := s1crets.CacheConfig{TTL: time.Minute}
		if stale {
			name, cfg.MaxStale = "stale", time.Hour
		}
		t.Run(name, func(t *testing.T) {
			s := newFakeStore(map[string]string{"/db": "v1"})
			c := open(t, s, cfg)
			clk := s1crets.NewFakeClock()
			s1crets.SetClock(c, clk)
			_, err := c.Get(ctx, "/db")
			require.NoError(t, err)
			clk.Advance(2 * time.Minute) // expired

			s.mu.Lock()
			s.failing = errTransient
			s.mu.Unlock()
			for i := range 50 { // 0.5 s of outage, 50 reads
				v, err := c.Get(ctx, "/db")
				if stale {
					require.NoError(t, err, "read %d", i)
					assert.True(t, v.Stale())
					assert.Equal(t, "v1", v.Text())
				} else {
					require.ErrorIs(t, err, errTransient, "read %d: the last error, at once", i)
				}
				clk.Advance(10 * time.Millisecond)
			}
			assert.EqualValues(t, 2, s.gets.Load(), "one fetch for the whole outage")

			// The store recovers; reads before the delay passes still wait.
			s.set("/db", "v2")
			s.mu.Lock()
			s.failing = nil
			s.mu.Unlock()
			clk.Advance(DefaultFailureBackoffForTest)
			v, err := c.Get(ctx, "/db")
			require.NoError(t, err)
			assert.Equal(t, "v2", v.Text(), "the first read after the delay is fresh")
			assert.False(t, v.Stale())
			assert.EqualValues(t, 3, s.gets.Load())
		})
	}
}

// DefaultFailureBackoffForTest is past the longest first delay (the
// default, 1s; jitter only shortens it).
const DefaultFailureBackoffForTest = s1crets.DefaultFailureBackoff + time.Millisecond

// The delay doubles on each failure, is capped, and is forgotten on a
// success, an Update or an Invalidate; NoCache reads are not held back.
func TestFailureBackoffGrows(t *testing.T) {
	ctx := context.Background()
	s := newFakeStore(map[string]string{"/db": "v1"})
	c := open(t, s, s1crets.CacheConfig{FailureBackoff: time.Second, MaxFailureBackoff: 4 * time.Second})
	clk := s1crets.NewFakeClock()
	s1crets.SetClock(c, clk)
	s.mu.Lock()
	s.failing = errTransient
	s.mu.Unlock()

	// Count the fetches over 30 s of outage, reading every 100 ms: with
	// delays of at most 1, 2, 4, 4, 4... s (at least half of each), that is
	// between 8 and 40 fetches, far fewer than the 300 reads.
	for range 300 {
		_, err := c.Get(ctx, "/db")
		require.Error(t, err)
		clk.Advance(100 * time.Millisecond)
	}
	n := s.gets.Load()
	assert.GreaterOrEqual(t, n, int64(8))
	assert.LessOrEqual(t, n, int64(40))

	_, err := c.Get(ctx, "/db", s1crets.NoCache())
	require.ErrorIs(t, err, errTransient)
	assert.EqualValues(t, n+1, s.gets.Load(), "NoCache asks the store")

	s.mu.Lock()
	s.failing = nil
	s.mu.Unlock()
	require.NoError(t, c.Update(ctx, "/db", "v2"))
	v, err := c.Get(ctx, "/db")
	require.NoError(t, err, "Update forgets the backoff")
	assert.Equal(t, "v2", v.Text())
}

// A failure that is not transient (not found, denied) is not backed off:
// the next read asks again.
func TestFailureBackoffOnlyTransient(t *testing.T) {
	ctx := context.Background()
	s := newFakeStore(map[string]string{})
	c := open(t, s, s1crets.CacheConfig{})
	for range 3 {
		_, err := c.Get(ctx, "/nope")
		require.ErrorIs(t, err, s1crets.ErrNotFound)
	}
	assert.EqualValues(t, 3, s.gets.Load())
	s.mu.Lock()
	s.failing = errors.New("denied")
	s.mu.Unlock()
	for range 3 {
		_, err := c.Get(ctx, "/x")
		require.Error(t, err)
	}
	assert.EqualValues(t, 6, s.gets.Load())
}
