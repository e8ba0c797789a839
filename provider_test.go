package s1crets_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/driver"
)

func TestRegisterPanics(t *testing.T) {
	open := func(context.Context, driver.Config) (driver.Store, error) { return nil, nil }
	assert.PanicsWithValue(t, "s1crets: Register with an empty name", func() { s1crets.Register("", open) })
	assert.Panics(t, func() { s1crets.Register("test.nil", nil) })
	assert.Panics(t, func() { s1crets.Register("memory", open) }, "duplicate")
}

func TestProvidersSorted(t *testing.T) {
	names := s1crets.Providers()
	assert.IsIncreasing(t, names)
	assert.Contains(t, names, "memory")
}

// constructions counts the stores that "test.counted" built, and
// countedReads the reads that reached any of them.
var constructions, countedReads atomic.Int64

// countedStore is the store of "test.counted".
type countedStore struct{ *mapStore }

func (s countedStore) Get(ctx context.Context, name string, q driver.Query) (driver.Secret, error) {
	countedReads.Add(1)
	return s.mapStore.Get(ctx, name, q)
}

func init() {
	// "test.counted" counts constructions and fails when Retry is 7.
	s1crets.Register("test.counted", func(ctx context.Context, cfg driver.Config) (driver.Store, error) {
		constructions.Add(1)
		if cfg.Retry == 7 {
			return nil, errors.New("construction failed")
		}
		return countedStore{newMapStore(map[string]string{"/a": "1"})}, nil
	})
}

func TestOpenMemoizes(t *testing.T) {
	closeMemoized(t)
	p1, err := s1crets.Open(ctx, "test.counted")
	require.NoError(t, err)
	p2, err := s1crets.Open(ctx, "test.counted")
	require.NoError(t, err)
	assert.Same(t, p1, p2, "same name and options: same instance")

	p3, err := s1crets.Open(ctx, "test.counted", s1crets.Retry(5))
	require.NoError(t, err)
	assert.NotSame(t, p1, p3, "other options: another instance")
	p4, err := s1crets.Open(ctx, "test.counted", s1crets.Retry(5))
	require.NoError(t, err)
	assert.Same(t, p3, p4)
	p5, err := s1crets.Open(ctx, "test.counted", s1crets.Timeout(time.Second))
	require.NoError(t, err)
	assert.NotSame(t, p1, p5)
	p6, err := s1crets.Open(ctx, "test.counted", s1crets.Cache(s1crets.CacheConfig{Size: 3}))
	require.NoError(t, err)
	assert.NotSame(t, p1, p6)
	p7, err := s1crets.Open(ctx, "test.counted", s1crets.Retry(s1crets.DefaultRetry),
		s1crets.Timeout(s1crets.DefaultTimeout), s1crets.Cache(s1crets.CacheConfig{Size: s1crets.DefaultCacheSize}))
	require.NoError(t, err)
	assert.Same(t, p1, p7, "the defaults spelled out: the instance of the defaults")

	// The simple API uses the memoized instance: its cache is shared.
	_, err = s1crets.Get(ctx, "test.counted", "/a")
	require.NoError(t, err)
	n := countedReads.Load()
	_, err = p1.Get(ctx, "/a")
	require.NoError(t, err)
	assert.Equal(t, n, countedReads.Load(), "the simple API and Open share one cache")
	_, err = s1crets.Get(ctx, "test.counted", "/a", s1crets.Retry(5))
	require.NoError(t, err)
	assert.Equal(t, n+1, countedReads.Load(), "another instance has another cache")

	// Close closes every memoized instance and forgets it.
	require.NoError(t, s1crets.Close())
	_, err = p1.Get(ctx, "/a")
	assert.ErrorIs(t, err, s1crets.ErrClosed)
	p8, err := s1crets.Open(ctx, "test.counted")
	require.NoError(t, err)
	assert.NotSame(t, p1, p8, "Open after Close builds anew")
}

func TestOpenFailureNotMemoized(t *testing.T) {
	before := constructions.Load()
	for range 2 {
		_, err := s1crets.Open(ctx, "test.counted", s1crets.Retry(7))
		require.Error(t, err)
		assert.ErrorContains(t, err, "construction failed")
		var e *s1crets.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, "new", e.Op, "the construction failed")
		assert.Equal(t, "test.counted", e.Provider)
	}
	assert.Equal(t, before+2, constructions.Load(), "a failed construction is tried again")
}

func TestOpenConcurrent(t *testing.T) {
	closeMemoized(t)
	before := constructions.Load()
	var wg sync.WaitGroup
	got := make([]*s1crets.Client, 100)
	for i := range got {
		wg.Go(func() {
			p, err := s1crets.Open(ctx, "test.counted", s1crets.Retry(9))
			if err == nil {
				got[i] = p
			}
		})
	}
	wg.Wait()
	for _, p := range got {
		require.NotNil(t, p)
		assert.Same(t, got[0], p)
	}
	assert.Equal(t, before+1, constructions.Load(), "concurrent Opens construct once")
}

func TestUnknownProvider(t *testing.T) {
	closeMemoized(t)
	for _, name := range []string{"aws.smm", ""} {
		_, err := s1crets.Get(ctx, name, "/a")
		require.ErrorIs(t, err, s1crets.ErrUnknownProvider)
		msg := err.Error()
		assert.Contains(t, msg, "memory", "lists the registered names")
		assert.Contains(t, msg, `_ "github.com/s1crets/s1crets/providers/aws"`)
		assert.Contains(t, msg, "aws.ps and aws.sm")
		assert.Regexp(t, `^s1crets: `, msg)
	}
	_, err := s1crets.Open(ctx, "nope")
	assert.ErrorIs(t, err, s1crets.ErrUnknownProvider)
	assert.Contains(t, err.Error(), `"nope"`)
}

func TestOptionLevels(t *testing.T) {
	closeMemoized(t)
	_, err := s1crets.Open(ctx, "memory", s1crets.KeyPath("a"))
	assert.ErrorIs(t, err, s1crets.ErrInvalid)
	assert.ErrorContains(t, err, "KeyPath is a per-call option")
	_, err = s1crets.Open(ctx, "memory", s1crets.Option{})
	assert.ErrorIs(t, err, s1crets.ErrInvalid)
	assert.ErrorContains(t, err, "zero Option")
	_, err = s1crets.Get(ctx, "memory", "/a", s1crets.Option{})
	assert.ErrorIs(t, err, s1crets.ErrInvalid)
	assert.ErrorContains(t, err, "zero Option")
	for _, c := range []struct {
		opt  s1crets.Option
		want string
	}{
		{s1crets.Retry(0), "must be at least 1"},
		{s1crets.Retry(-1), "must be at least 1"},
		{s1crets.Timeout(0), "must be positive"},
		{s1crets.Timeout(-time.Second), "must be positive"},
	} {
		_, err = s1crets.Open(ctx, "memory", c.opt)
		assert.ErrorIs(t, err, s1crets.ErrInvalid)
		assert.ErrorContains(t, err, c.want)
	}
	p, err := s1crets.Open(ctx, "memory")
	require.NoError(t, err)
	err = p.Update(ctx, "/a", "x", s1crets.KeyPath("k"))
	assert.ErrorIs(t, err, s1crets.ErrInvalid)
	_, err = p.GetByPath(ctx, "/", s1crets.KeyPath("k"))
	assert.ErrorIs(t, err, s1crets.ErrInvalid)
	_, err = p.Get(ctx, "/a", s1crets.Retry(2))
	assert.ErrorIs(t, err, s1crets.ErrInvalid)
	assert.ErrorContains(t, err, "Retry is a provider-level option")
}

func TestErrorFormat(t *testing.T) {
	cause := errors.New("boom")
	e := &s1crets.Error{Op: "get", Provider: "aws.ps", Path: "/a b", Err: cause}
	assert.Equal(t, `s1crets: get aws.ps "/a b": boom`, e.Error())
	assert.ErrorIs(t, e, cause)
	nf := &s1crets.Error{Op: "get", Provider: "aws.ps", Path: "/x", Err: driver.NotFound(cause)}
	assert.Equal(t, `s1crets: get aws.ps "/x": not found: boom`, nf.Error())
	assert.ErrorIs(t, nf, s1crets.ErrNotFound)
	assert.ErrorIs(t, nf, cause)
	assert.Equal(t, s1crets.ErrNotFound, driver.NotFound(nil))

	p, _ := newMem(t, nil)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := p.Get(cctx, "/a")
	assert.ErrorIs(t, err, context.Canceled)
}
