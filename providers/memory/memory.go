// Package memory is an in-memory secret store with the semantics of
// Parameter Store paths: for tests of programs that use s1crets, and for
// runnable examples. It registers itself as "memory"; each instance that
// Open returns starts empty, so tests usually build one with New.
package memory

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/driver"
)

func init() {
	s1crets.Register("memory", func(ctx context.Context, cfg driver.Config) (driver.Store, error) {
		s := newStore(nil)
		return s, s.configure(cfg)
	})
}

// identitySetting is the option of WithIdentity.
type identitySetting string

// WithIdentity names the principal that reads this store, for the disk and
// Redis tiers of the cache: providers with the same identity share tier
// entries, as processes of one AWS identity do. Without it, a provider
// shares its tier entries with no other, so tests of the tiers say which
// providers play the same principal.
func WithIdentity(id string) s1crets.Option { return driver.NewSetting(identitySetting(id)) }

// configure applies the provider-level settings of this package.
func (s *store) configure(cfg driver.Config) error {
	for _, x := range cfg.Settings {
		id, ok := x.(identitySetting)
		if !ok {
			return fmt.Errorf("%w: %T is not an option of the memory provider", s1crets.ErrInvalid, x)
		}
		if id == "" {
			return fmt.Errorf("%w: WithIdentity: empty identity", s1crets.ErrInvalid)
		}
		s.id = string(id)
	}
	return nil
}

// Identity implements driver.Identifier: the identity of WithIdentity,
// else one of this store's own.
func (s *store) Identity(context.Context) (string, error) { return s.id, nil }

// Provider is an in-memory store behind the same cache as every provider.
// Paths are hierarchical like Parameter Store's: GetByPath("/app") returns
// the secrets named "/app/...", and PathExists is true for a name or for a
// path with secrets below it. It is safe for concurrent use.
type Provider struct {
	*s1crets.Client
	store *store
}

// New returns a provider holding contents (path to value), configured by
// the provider-level options (Cache; Retry and Timeout are accepted and have
// no effect in memory). Close it when done.
func New(contents map[string]string, opts ...s1crets.Option) (*Provider, error) {
	s := newStore(contents)
	c, err := s1crets.New(context.Background(), "memory", func(_ context.Context, cfg driver.Config) (driver.Store, error) {
		return s, s.configure(cfg)
	}, opts...)
	if err != nil {
		return nil, err
	}
	return &Provider{Client: c, store: s}, nil
}

func newStore(contents map[string]string) *store {
	s := &store{items: make(map[string]item, len(contents)), id: "instance:" + rand.Text()}
	for k, v := range contents {
		s.items[k] = item{text: v}
	}
	return s
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

func (it item) secret() driver.Secret {
	if it.binary {
		return driver.Secret{Binary: bytes.Clone(it.bin)}
	}
	return driver.Secret{Text: it.text}
}

// store is the driver.Store.
type store struct {
	id    string // see WithIdentity
	calls atomic.Int64
	mu    sync.RWMutex // guards items
	items map[string]item
}

func (s *store) put(path string, it item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items[path] = it
}

func (s *store) Get(ctx context.Context, path string, q driver.Query) (driver.Secret, error) {
	s.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return driver.Secret{}, err
	}
	s.mu.RLock()
	it, ok := s.items[path]
	s.mu.RUnlock()
	if !ok {
		return driver.Secret{}, driver.ErrNotFound
	}
	return it.secret(), nil
}

// Validate implements driver.Validator: Secrets Manager's version
// selectors do not apply to this store, and Recursive and FailOnError apply
// only to GetByPath. Decrypt is accepted, as Parameter Store accepts it (the
// store holds plain text, so it changes nothing but the cache key).
func (s *store) Validate(op driver.Op, path string, q driver.Query) error {
	switch {
	case q.VersionStage != "":
		return errors.New("VersionStage does not apply to the memory provider (it has no versions)")
	case q.VersionID != "":
		return errors.New("VersionID does not apply to the memory provider (it has no versions)")
	case !q.Recursive && op != driver.OpGetByPath:
		return errors.New("Recursive applies only to GetByPath")
	case !q.FailOnError && op != driver.OpGetByPath:
		return errors.New("FailOnError applies only to GetByPath")
	}
	return nil
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

func (s *store) GetByPath(ctx context.Context, path string, q driver.Query) (map[string]driver.Secret, error) {
	s.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	dir := dirOf(path)
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]driver.Secret)
	for name, it := range s.items {
		if ok, direct := below(name, dir); ok && (direct || q.Recursive) {
			out[name] = it.secret()
		}
	}
	return out, nil
}

func (s *store) Update(ctx context.Context, path, value string) (string, error) {
	s.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.items[path]
	if !ok {
		return "", driver.ErrNotFound
	}
	if old.binary { // keep the kind, as Secrets Manager's update does
		s.items[path] = item{bin: []byte(value), binary: true}
	} else {
		s.items[path] = item{text: value}
	}
	return path, nil
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
