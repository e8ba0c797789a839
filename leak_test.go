package s1crets_test

// Goroutine leaks: every Client owns what it starts (shared loads,
// background refreshes) and Close stops it.

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/providers/memory"
)

// TestMain runs the tests, closes what Open and the simple API memoized
// (the examples cannot close it themselves), as a program does before it
// exits, and then fails the run if any goroutine is left: a Client that a
// test did not close while it held a load or a refresh, or a Close that
// left something running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(closeMemoizedAfter{m})
}

type closeMemoizedAfter struct{ m *testing.M }

func (c closeMemoizedAfter) Run() int {
	code := c.m.Run()
	if err := s1crets.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "s1crets.Close:", err)
		code = 1
	}
	return code
}

func TestNoGoroutinePerCache(t *testing.T) {
	before := goleak.IgnoreCurrent()
	var ps []*memory.Provider
	for range 100 {
		p, err := memory.New(map[string]string{"/a": "1"})
		require.NoError(t, err)
		ps = append(ps, p)
		_, err = p.Get(ctx, "/a")
		require.NoError(t, err)
	}
	goleak.VerifyNone(t, before) // 100 open providers with a cached entry each run no goroutine
	for _, p := range ps {
		require.NoError(t, p.Close())
	}
}

// Close stops a load in flight: a read of a store that never answers waits
// in the background, after its caller gave up, until Close cancels it.
func TestCloseStopsLoadInFlight(t *testing.T) {
	before := goleak.IgnoreCurrent()
	s := &stalled{reading: make(chan struct{}, 1)}
	c, err := s1crets.New(ctx, "stalled", opener(s))
	require.NoError(t, err)
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = c.Get(cctx, "/a")
	require.ErrorIs(t, err, context.DeadlineExceeded, "the caller's context bounds its wait")
	<-s.reading
	assert.Empty(t, s.endings(), "the load outlives its caller")
	require.Error(t, goleak.Find(before), "an open Client with a load in flight holds a goroutine")

	closed := make(chan error)
	go func() { closed <- c.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	assert.Equal(t, []error{context.Canceled}, s.endings(), "Close cancelled the load")
	goleak.VerifyNone(t, before)
	_, err = c.Get(ctx, "/a")
	assert.ErrorIs(t, err, s1crets.ErrClosed)
	assert.NoError(t, c.Close(), "Close is idempotent")
}
