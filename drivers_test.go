package s1crets_test

// The driver.Stores of the root package's tests, and the helpers that build
// Clients over them.

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/driver"
)

// opener returns a driver.Opener that hands out s.
func opener(s driver.Store) driver.Opener {
	return func(context.Context, driver.Config) (driver.Store, error) { return s, nil }
}

// newClient returns a Client named name over s, closed when the test ends.
func newClient(t testing.TB, name string, s driver.Store, opts ...s1crets.Option) *s1crets.Client {
	t.Helper()
	c, err := s1crets.New(ctx, name, opener(s), opts...)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, c.Close()) })
	return c
}

// closeMemoized closes, when the test ends, the instances that Open and the
// simple API memoized.
func closeMemoized(t testing.TB) {
	t.Cleanup(func() { assert.NoError(t, s1crets.Close()) })
}

// mapStore is a driver.Store over a map of text secrets, with Parameter
// Store's paths: GetByPath lists the names below path at a "/" boundary,
// PathExists is true for a name or a path with names below it. It validates
// nothing, so that every Query setting reaches it, and counts the calls that
// reach it.
type mapStore struct {
	calls atomic.Int64
	mu    sync.RWMutex // guards m
	m     map[string]string
}

var _ driver.PathChecker = (*mapStore)(nil)

func newMapStore(seed map[string]string) *mapStore {
	s := &mapStore{m: make(map[string]string, len(seed))}
	for k, v := range seed {
		s.m[k] = v
	}
	return s
}

func (s *mapStore) Get(ctx context.Context, name string, q driver.Query) (driver.Secret, error) {
	s.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return driver.Secret{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.m[name]
	if !ok {
		return driver.Secret{}, driver.ErrNotFound
	}
	return driver.Secret{Text: v}, nil
}

func (s *mapStore) GetByPath(ctx context.Context, path string, q driver.Query) (map[string]driver.Secret, error) {
	s.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dir := strings.TrimSuffix(path, "/") + "/"
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string]driver.Secret{}
	for name, v := range s.m {
		rest, below := strings.CutPrefix(name, dir)
		if below && rest != "" && (q.Recursive || !strings.Contains(rest, "/")) {
			out[name] = driver.Secret{Text: v}
		}
	}
	return out, nil
}

func (s *mapStore) Update(ctx context.Context, name, value string) (string, error) {
	s.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[name]; !ok {
		return "", driver.ErrNotFound
	}
	s.m[name] = value
	return name, nil
}

func (s *mapStore) PathExists(ctx context.Context, path string) (bool, error) {
	s.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return false, err
	}
	dir := strings.TrimSuffix(path, "/") + "/"
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.m[path]; ok {
		return true, nil
	}
	for name := range s.m {
		if rest, below := strings.CutPrefix(name, dir); below && rest != "" {
			return true, nil
		}
	}
	return false, nil
}

// gated is a driver.Store whose reads of "/slow" the test holds in flight:
// such a read reads the current value, hands a hold to the test on held and
// waits for the test to close its release (or for its ctx to end). Reads of
// other names, and every read while holding is off, answer at once.
type gated struct {
	calls   atomic.Int64
	value   atomic.Value // string
	holding atomic.Bool
	held    chan hold
}

// hold is a read held in flight; closing release lets it answer.
type hold struct{ release chan struct{} }

func newGated(value string) *gated {
	g := &gated{held: make(chan hold)}
	g.value.Store(value)
	g.holding.Store(true)
	return g
}

func (g *gated) Get(ctx context.Context, name string, q driver.Query) (driver.Secret, error) {
	g.calls.Add(1)
	v := g.value.Load().(string) // what the store answered, before the answer is held
	if name == "/slow" && g.holding.Load() {
		h := hold{release: make(chan struct{})}
		select {
		case g.held <- h:
		case <-ctx.Done():
			return driver.Secret{}, ctx.Err()
		}
		select {
		case <-h.release:
		case <-ctx.Done():
			return driver.Secret{}, ctx.Err()
		}
	}
	return driver.Secret{Text: v}, nil
}

func (g *gated) GetByPath(ctx context.Context, path string, q driver.Query) (map[string]driver.Secret, error) {
	return map[string]driver.Secret{}, nil
}

func (g *gated) Update(ctx context.Context, name, value string) (string, error) {
	g.value.Store(value)
	return name, nil
}

// flaky is a driver.Store whose errors the test sets, with a
// driver.TransientChecker for which errThrottled is transient.
type flaky struct {
	mu    sync.Mutex // guards err
	err   error
	value string
}

var errThrottled = errors.New("throttled (transient)")

func (f *flaky) setErr(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

func (f *flaky) Get(ctx context.Context, name string, q driver.Query) (driver.Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return driver.Secret{}, f.err
	}
	return driver.Secret{Text: f.value}, nil
}

func (f *flaky) GetByPath(ctx context.Context, path string, q driver.Query) (map[string]driver.Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return nil, f.err
}

func (f *flaky) Update(ctx context.Context, name, value string) (string, error) { return name, nil }

func (f *flaky) Transient(err error) bool { return errors.Is(err, errThrottled) }

// stalled is a driver.Store whose reads never answer: they wait for their
// context to end and record how it ended.
type stalled struct {
	reading chan struct{} // buffered: a read starting sends on it, unless it is full
	mu      sync.Mutex    // guards ended
	ended   []error
}

func (s *stalled) Get(ctx context.Context, name string, q driver.Query) (driver.Secret, error) {
	select {
	case s.reading <- struct{}{}:
	default:
	}
	<-ctx.Done()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = append(s.ended, ctx.Err())
	return driver.Secret{}, ctx.Err()
}

func (s *stalled) endings() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.ended...)
}

func (s *stalled) GetByPath(ctx context.Context, path string, q driver.Query) (map[string]driver.Secret, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (s *stalled) Update(ctx context.Context, name, value string) (string, error) {
	<-ctx.Done()
	return "", ctx.Err()
}
