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
	"github.com/s1crets/s1crets/providers/memory"
)

func TestRegisterPanics(t *testing.T) {
	open := func(context.Context, s1crets.Config) (s1crets.Provider, error) { return nil, nil }
	assert.PanicsWithValue(t, "s1crets: Register with an empty name", func() { s1crets.Register("", open) })
	assert.Panics(t, func() { s1crets.Register("test.nil", nil) })
	assert.Panics(t, func() { s1crets.Register("memory", open) }, "duplicate")
}

func TestProvidersSorted(t *testing.T) {
	names := s1crets.Providers()
	assert.IsIncreasing(t, names)
	assert.Contains(t, names, "memory")
}

var constructions atomic.Int64

func init() {
	// "test.counted" counts constructions and fails when Retry is 7.
	s1crets.Register("test.counted", func(ctx context.Context, cfg s1crets.Config) (s1crets.Provider, error) {
		constructions.Add(1)
		if cfg.Retry == 7 {
			return nil, errors.New("construction failed")
		}
		return memory.New(map[string]string{"/a": "1"}, s1crets.Cache(cfg.Cache))
	})
}

func TestOpenMemoizes(t *testing.T) {
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

	// The simple API uses the memoized instance: its cache is shared.
	_, err = s1crets.Get(ctx, "test.counted", "/a")
	require.NoError(t, err)
	mp := p1.(*memory.Provider)
	n := mp.Calls()
	_, err = p1.Get(ctx, "/a")
	require.NoError(t, err)
	assert.Equal(t, n, mp.Calls(), "the simple API and Open share one cache")
	_, err = s1crets.Get(ctx, "test.counted", "/a", s1crets.Retry(5))
	require.NoError(t, err)
	assert.Equal(t, n, mp.Calls(), "another instance has another cache")
}

func TestOpenFailureNotMemoized(t *testing.T) {
	before := constructions.Load()
	for range 2 {
		_, err := s1crets.Open(ctx, "test.counted", s1crets.Retry(7))
		require.Error(t, err)
		assert.ErrorContains(t, err, "construction failed")
		var e *s1crets.Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, "open", e.Op)
	}
	assert.Equal(t, before+2, constructions.Load(), "a failed construction is tried again")
}

func TestOpenConcurrent(t *testing.T) {
	before := constructions.Load()
	var wg sync.WaitGroup
	got := make([]s1crets.Provider, 100)
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
	_, err := s1crets.Open(ctx, "memory", s1crets.KeyPath("a"))
	assert.ErrorIs(t, err, s1crets.ErrInvalid)
	assert.ErrorContains(t, err, "KeyPath is a per-call option")
	_, err = s1crets.Open(ctx, "memory", nil)
	assert.ErrorIs(t, err, s1crets.ErrInvalid)
	_, err = s1crets.Get(ctx, "memory", "/a", nil)
	assert.ErrorIs(t, err, s1crets.ErrInvalid)
	for _, o := range []s1crets.Option{s1crets.Retry(0), s1crets.Retry(-1), s1crets.Timeout(0), s1crets.Timeout(-time.Second)} {
		_, err = s1crets.Open(ctx, "memory", o)
		assert.ErrorIs(t, err, s1crets.ErrInvalid)
	}
	p, err := s1crets.Open(ctx, "memory")
	require.NoError(t, err)
	err = p.Update(ctx, "/a", "x", s1crets.KeyPath("k"))
	assert.ErrorIs(t, err, s1crets.ErrInvalid)
	_, err = p.GetByPath(ctx, "/", s1crets.KeyPath("k"))
	assert.ErrorIs(t, err, s1crets.ErrInvalid)
}

func TestErrorFormat(t *testing.T) {
	cause := errors.New("boom")
	e := &s1crets.Error{Op: "get", Provider: "aws.ps", Path: "/a b", Err: cause}
	assert.Equal(t, `s1crets: get aws.ps "/a b": boom`, e.Error())
	assert.ErrorIs(t, e, cause)
	nf := &s1crets.Error{Op: "get", Provider: "aws.ps", Path: "/x", Err: s1crets.NotFound(cause)}
	assert.Equal(t, `s1crets: get aws.ps "/x": not found: boom`, nf.Error())
	assert.ErrorIs(t, nf, s1crets.ErrNotFound)
	assert.ErrorIs(t, nf, cause)
	assert.Equal(t, s1crets.ErrNotFound, s1crets.NotFound(nil))

	p, err := memory.New(nil)
	require.NoError(t, err)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = p.Get(cctx, "/a")
	assert.ErrorIs(t, err, context.Canceled)
}
