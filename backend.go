package s1crets

import (
	"context"
	"errors"
	"strconv"

	"golang.org/x/sync/singleflight"
)

// A Backend does the remote operations of one secret store and nothing
// else: no caching, no key paths, no defaults. Provider packages implement
// it and wrap it with NewCached, which adds all of those once for every
// store. Its errors for missing secrets match ErrNotFound (see NotFound).
type Backend interface {
	// Fetch returns the secret at path.
	Fetch(ctx context.Context, path string, q Query) (Value, error)
	// FetchByPath returns the secrets below path by their full names.
	FetchByPath(ctx context.Context, path string, q Query) (map[string]Value, error)
	// Store replaces the value of the existing secret at path.
	Store(ctx context.Context, path, value string) error
}

// A PathChecker is a Backend that answers PathExists itself (Parameter
// Store's paths). Without it, PathExists is a Get that did not fail with
// ErrNotFound.
type PathChecker interface {
	PathExists(ctx context.Context, path string) (bool, error)
}

// Cached is a Provider made of a Backend and the shared behaviour of every
// store: the cache, single flight for concurrent misses, invalidation on
// Update, key paths and defaults. Provider packages embed it. It is safe
// for concurrent use; no lock is held over a remote call.
type Cached struct {
	name    string
	backend Backend
	cache   *cache
	flight  singleflight.Group
}

var _ Provider = (*Cached)(nil)

// NewCached returns a Provider named name (used in error messages) that
// serves b's secrets through a cache configured by cfg.
func NewCached(name string, b Backend, cfg CacheConfig) (*Cached, error) {
	if b == nil {
		return nil, invalidf("NewCached(%q): nil Backend", name)
	}
	c, err := newCache(cfg)
	if err != nil {
		return nil, &Error{Op: "new", Provider: name, Err: err}
	}
	return &Cached{name: name, backend: b, cache: c}, nil
}

func (c *Cached) fail(op, path string, err error) error {
	return &Error{Op: op, Provider: c.name, Path: path, Err: err}
}

// Get returns the secret at path, from the cache when it holds a fresh
// copy. With KeyPath it returns the value at that key path of a JSON
// secret; with Default, that value instead of an ErrNotFound error.
func (c *Cached) Get(ctx context.Context, path string, opts ...Option) (Value, error) {
	o, k := options{q: DefaultQuery}, cacheKey{path: path} // variant 0 is DefaultQuery
	if len(opts) > 0 {
		var err error
		if o, err = parseCall(opts); err != nil {
			return Value{}, c.fail("get", path, err)
		}
		k = keyOf(path, o.q)
	}
	if path == "" {
		return Value{}, c.fail("get", path, invalidf("empty path"))
	}
	v, ok := Value{}, false
	if !o.noCache {
		v, ok = c.cache.value(k)
	}
	var err error
	if !ok {
		v, err = c.fetch(ctx, k, o.q)
	}
	if err == nil && len(o.keys) > 0 {
		v, err = v.Lookup(o.keys...)
	}
	if err != nil {
		if o.hasDef && isNotFound(err) {
			return NewValue(o.def), nil
		}
		return Value{}, c.fail("get", path, err)
	}
	return v, nil
}

// fetch makes one remote call for all concurrent misses of k. The call runs
// detached from any one caller's cancellation, so that a caller that gives
// up does not fail the others; each caller still returns when its own ctx
// is done.
func (c *Cached) fetch(ctx context.Context, k cacheKey, q Query) (Value, error) {
	gen := c.cache.generation()
	ch := c.flight.DoChan(flightKey('v', gen, k), func() (any, error) {
		v, err := c.backend.Fetch(context.WithoutCancel(ctx), k.path, q)
		if err == nil {
			c.cache.storeValue(gen, k, v)
		}
		return v, err
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return Value{}, r.Err
		}
		return r.Val.(Value), nil
	case <-ctx.Done():
		return Value{}, ctx.Err()
	}
}

func flightKey(kind byte, gen uint64, k cacheKey) string {
	b := make([]byte, 0, 32+len(k.path))
	b = append(b, kind)
	b = strconv.AppendUint(b, gen, 10)
	b = append(b, '|')
	b = strconv.AppendUint(b, uint64(k.variant), 10)
	b = append(b, '|')
	return string(append(b, k.path...))
}

// GetByPath returns every secret below path by its full name. What "below"
// means is the store's: Parameter Store's path hierarchy, Secrets Manager's
// name prefix. The values are also cached for later Gets.
func (c *Cached) GetByPath(ctx context.Context, path string, opts ...Option) (map[string]Value, error) {
	o, err := parseCall(opts)
	if err == nil && len(o.keys) > 0 {
		err = invalidf("KeyPath does not apply to GetByPath")
	}
	if err == nil && o.hasDef {
		err = invalidf("Default does not apply to GetByPath")
	}
	if err == nil && path == "" {
		err = invalidf("empty path")
	}
	if err != nil {
		return nil, c.fail("get-by-path", path, err)
	}
	k := keyOf(path, o.q)
	if !o.noCache {
		if m, ok := c.cache.list(k); ok {
			return copyMap(m), nil
		}
	}
	gen := c.cache.generation()
	ch := c.flight.DoChan(flightKey('p', gen, k), func() (any, error) {
		m, err := c.backend.FetchByPath(context.WithoutCancel(ctx), path, o.q)
		if err == nil {
			single := DefaultQuery
			single.Decrypt = o.q.Decrypt
			c.cache.storeList(gen, k, m, single)
		}
		return m, err
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, c.fail("get-by-path", path, r.Err)
		}
		return copyMap(r.Val.(map[string]Value)), nil
	case <-ctx.Done():
		return nil, c.fail("get-by-path", path, ctx.Err())
	}
}

// copyMap gives each caller its own map, so that no caller can change the
// cached listing.
func copyMap(m map[string]Value) map[string]Value {
	out := make(map[string]Value, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Update replaces the value of the existing secret at path, keeping its
// metadata (type, encryption key, ...). A missing secret is ErrNotFound.
// Every cached variant of path and every cached listing is dropped, so a
// Get after Update returns the new value.
func (c *Cached) Update(ctx context.Context, path, value string, opts ...Option) error {
	o, err := parseCall(opts)
	if err == nil && o.perCall != "" {
		err = invalidf("%s does not apply to Update", o.perCall)
	}
	if err == nil && path == "" {
		err = invalidf("empty path")
	}
	if err != nil {
		return c.fail("update", path, err)
	}
	err = c.backend.Store(ctx, path, value)
	c.cache.invalidate(path) // also on error: the write may have landed
	if err != nil {
		return c.fail("update", path, err)
	}
	return nil
}

// PathExists reports whether path exists: for Parameter Store, a parameter
// name or a path with parameters below it; for Secrets Manager, a secret
// name. With KeyPath, whether the key path exists in that JSON secret.
func (c *Cached) PathExists(ctx context.Context, path string, opts ...Option) (bool, error) {
	o, err := parseCall(opts)
	if err == nil && o.hasDef {
		err = invalidf("Default does not apply to PathExists")
	}
	if err == nil && path == "" {
		err = invalidf("empty path")
	}
	if err != nil {
		return false, c.fail("path-exists", path, err)
	}
	pc, ok := c.backend.(PathChecker)
	if ok && len(o.keys) == 0 {
		if _, hit := c.cache.value(keyOf(path, o.q)); hit && !o.noCache {
			return true, nil
		}
		exists, err := pc.PathExists(ctx, path)
		if err != nil {
			return false, c.fail("path-exists", path, err)
		}
		return exists, nil
	}
	_, err = c.Get(ctx, path, opts...)
	switch {
	case err == nil:
		return true, nil
	case isNotFound(err):
		return false, nil
	default:
		return false, err
	}
}

func isNotFound(err error) bool {
	return err != nil && errors.Is(err, ErrNotFound)
}
