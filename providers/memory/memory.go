// Package memory is an in-memory secret store with the semantics of
// Parameter Store paths: for tests of programs that use s1crets, and for
// runnable examples. It registers itself as "memory"; each instance that
// Open returns starts empty, so tests usually build one with New.
package memory

import (
	"bytes"
	"context"
	"maps"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/s1crets/s1crets"
)

func init() {
	s1crets.Register("memory", func(ctx context.Context, cfg s1crets.Config) (s1crets.Provider, error) {
		return newProvider(nil, cfg)
	})
}

// Provider is an in-memory store behind the same cache as every provider.
// Paths are hierarchical like Parameter Store's: GetByPath("/app") returns
// the secrets named "/app/...", and PathExists is true for a name or for a
// path with secrets below it. It is safe for concurrent use.
type Provider struct {
	*s1crets.Cached
	store *store
}

// New returns a provider holding contents (path to value), configured by
// the provider-level options (Cache; Retry and Timeout are accepted and have
// no effect in memory).
func New(contents map[string]string, opts ...s1crets.Option) (*Provider, error) {
	cfg, err := s1crets.ParseConfig(opts...)
	if err != nil {
		return nil, err
	}
	return newProvider(contents, cfg)
}

func newProvider(contents map[string]string, cfg s1crets.Config) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &store{items: make(map[string]item, len(contents))}
	for k, v := range contents {
		s.items[k] = item{text: v}
	}
	c, err := s1crets.NewCached("memory", s, cfg.Cache)
	if err != nil {
		return nil, err
	}
	return &Provider{Cached: c, store: s}, nil
}

// Put creates or replaces the text secret at path. Like a write by another
// process to a remote store, it does not touch the cache: a cached value is
// served until it expires. Use Update to write through the cache.
func (p *Provider) Put(path, value string) { p.store.put(path, item{text: value}) }

// PutBinary creates or replaces a binary secret at path; see Put.
func (p *Provider) PutBinary(path string, value []byte) {
	p.store.put(path, item{bin: bytes.Clone(value), binary: true})
}

// Delete removes the secret at path from the store (not from the cache).
func (p *Provider) Delete(path string) {
	p.store.mu.Lock()
	defer p.store.mu.Unlock()
	delete(p.store.items, path)
}

// Calls returns how many reads and writes reached the store itself, that
// is, were not served by the cache: the equivalent of remote calls.
func (p *Provider) Calls() int64 { return p.store.calls.Load() }

type item struct {
	text   string
	bin    []byte
	binary bool
}

func (it item) value() s1crets.Value {
	if it.binary {
		return s1crets.NewBinaryValue(it.bin)
	}
	return s1crets.NewValue(it.text)
}

// store is the Backend.
type store struct {
	calls atomic.Int64
	mu    sync.RWMutex // guards items
	items map[string]item
}

func (s *store) put(path string, it item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items[path] = it
}

func (s *store) Fetch(ctx context.Context, path string, q s1crets.Query) (s1crets.Value, error) {
	s.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return s1crets.Value{}, err
	}
	s.mu.RLock()
	it, ok := s.items[path]
	s.mu.RUnlock()
	if !ok {
		return s1crets.Value{}, s1crets.ErrNotFound
	}
	return it.value(), nil
}

// below reports whether name is below dir (which ends in "/"), and at which
// depth: 1 for a direct child.
func below(name, dir string) (ok, direct bool) {
	if !strings.HasPrefix(name, dir) || len(name) == len(dir) {
		return false, false
	}
	return true, !strings.Contains(name[len(dir):], "/")
}

func dirOf(path string) string {
	return strings.TrimSuffix(path, "/") + "/"
}

func (s *store) FetchByPath(ctx context.Context, path string, q s1crets.Query) (map[string]s1crets.Value, error) {
	s.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dir := dirOf(path)
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]s1crets.Value)
	for name, it := range s.items {
		if ok, direct := below(name, dir); ok && (direct || q.Recursive) {
			out[name] = it.value()
		}
	}
	return out, nil
}

func (s *store) Store(ctx context.Context, path, value string) error {
	s.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.items[path]
	if !ok {
		return s1crets.ErrNotFound
	}
	if old.binary { // keep the kind, as Secrets Manager's update does
		s.items[path] = item{bin: []byte(value), binary: true}
	} else {
		s.items[path] = item{text: value}
	}
	return nil
}

func (s *store) PathExists(ctx context.Context, path string) (bool, error) {
	s.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return false, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, ok := s.items[path]; ok {
		return true, nil
	}
	dir := dirOf(path)
	for name := range maps.Keys(s.items) {
		if ok, _ := below(name, dir); ok {
			return true, nil
		}
	}
	return false, nil
}
