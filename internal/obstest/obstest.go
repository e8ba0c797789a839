// Package obstest is a scriptable store for the tests of the statistics and
// events of package s1crets and of its observer adapters: secrets in memory,
// and per name a failure of a given kind, with the attempts it took.
package obstest

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/driver"
)

// Attempts is how many attempts a failing call reports (a store that
// retries); a successful call reports 1.
const Attempts = 3

// Error is a failure of a kind, as a store's own error type would be.
type Error struct{ Kind driver.ErrorKind }

func (e *Error) Error() string {
	switch e.Kind {
	case driver.KindDenied:
		return "fake: access denied"
	case driver.KindThrottled:
		return "fake: throttled"
	case driver.KindNetwork:
		return "fake: connection reset"
	case driver.KindTimeout:
		return "fake: timed out"
	}
	return "fake: failed"
}

// Store is a driver.Store, driver.TransientChecker and
// driver.ErrorClassifier. It is safe for concurrent use.
type Store struct {
	mu     sync.Mutex // guards values and fails
	values map[string]string
	fails  map[string]driver.ErrorKind
}

var (
	_ driver.Store            = (*Store)(nil)
	_ driver.TransientChecker = (*Store)(nil)
	_ driver.ErrorClassifier  = (*Store)(nil)
)

// New returns a Store holding values.
func New(values map[string]string) *Store {
	return &Store{values: maps.Clone(values), fails: map[string]driver.ErrorKind{}}
}

// Open returns a provider named name over s, with opts.
func Open(name string, s *Store, opts ...s1crets.Option) (*s1crets.Client, error) {
	return s1crets.New(context.Background(), name, func(context.Context, driver.Config) (driver.Store, error) {
		return s, nil
	}, opts...)
}

// Fail makes every call for name fail with an error of kind, until Heal.
func (s *Store) Fail(name string, kind driver.ErrorKind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fails[name] = kind
}

// Heal ends the failures of name.
func (s *Store) Heal(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.fails, name)
}

func (s *Store) lookup(ctx context.Context, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if kind, ok := s.fails[name]; ok {
		for range Attempts {
			driver.CountAttempt(ctx)
		}
		return "", &Error{kind}
	}
	driver.CountAttempt(ctx)
	v, ok := s.values[name]
	if !ok {
		return "", driver.ErrNotFound
	}
	return v, nil
}

// Get implements driver.Store.
func (s *Store) Get(ctx context.Context, name string, _ driver.Query) (driver.Secret, error) {
	v, err := s.lookup(ctx, name)
	return driver.Secret{Text: v}, err
}

// GetByPath implements driver.Store: the names that start with path.
func (s *Store) GetByPath(ctx context.Context, path string, _ driver.Query) (map[string]driver.Secret, error) {
	if _, err := s.lookup(ctx, path); err != nil && !errors.Is(err, driver.ErrNotFound) {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]driver.Secret{}
	for n, v := range s.values {
		if strings.HasPrefix(n, path) {
			out[n] = driver.Secret{Text: v}
		}
	}
	return out, nil
}

// Update implements driver.Store.
func (s *Store) Update(ctx context.Context, name, value string) (string, error) {
	if _, err := s.lookup(ctx, name); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.values[name] = value
	return name, nil
}

// Transient implements driver.TransientChecker.
func (s *Store) Transient(err error) bool {
	switch s.ErrorKind(err) {
	case driver.KindThrottled, driver.KindNetwork, driver.KindTimeout:
		return true
	}
	return false
}

// ErrorKind implements driver.ErrorClassifier.
func (s *Store) ErrorKind(err error) driver.ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return driver.KindOther
}

// Recorder is an Observer that keeps every event. It is safe for
// concurrent use.
type Recorder struct {
	mu     sync.Mutex // guards events
	events []s1crets.Event
}

// Observe implements s1crets.Observer.
func (r *Recorder) Observe(e s1crets.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// Events returns the events so far.
func (r *Recorder) Events() []s1crets.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]s1crets.Event(nil), r.events...)
}

// Count returns how many events of kind match keep (nil keeps all).
func (r *Recorder) Count(kind s1crets.EventKind, keep func(s1crets.Event) bool) int {
	n := 0
	for _, e := range r.Events() {
		if e.Kind == kind && (keep == nil || keep(e)) {
			n++
		}
	}
	return n
}
