package s1crets

import (
	"context"
	"errors"
	"fmt"
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

// Optional interfaces a Backend may implement.
type (
	// A PathChecker answers PathExists itself (Parameter Store's paths).
	// Without it, PathExists is a Get that did not fail with ErrNotFound.
	PathChecker interface {
		PathExists(ctx context.Context, path string) (bool, error)
	}

	// A ManyFetcher reads many secrets in few remote calls. found holds
	// the secrets read, failed the names that could not be read (an error
	// matching ErrNotFound for those that do not exist); names in neither
	// do not exist. err is for a failure of the whole call.
	ManyFetcher interface {
		FetchMany(ctx context.Context, names []string, q Query) (found map[string]Value, failed map[string]error, err error)
	}

	// A Validator rejects paths that the store would reject, before any
	// remote call; op is "get", "get-by-path", "update" or "path-exists".
	// Its errors say what is allowed.
	Validator interface {
		Validate(op, path string) error
	}

	// A TransientChecker tells errors worth serving a stale value for
	// (throttling, 5xx, network) from the others (see CacheConfig.MaxStale).
	TransientChecker interface {
		Transient(err error) bool
	}

	// A Namespacer names what a backend reads (for AWS: the region and the
	// role), so that providers over different accounts or regions do not
	// share entries in the disk and Redis tiers.
	Namespacer interface {
		Namespace() string
	}
)

// Cached is a Provider made of a Backend and the shared behaviour of every
// store: the cache, single flight for concurrent misses, invalidation on
// Update, key paths and defaults. Provider packages embed it. It is safe
// for concurrent use; no lock is held over a remote call.
type Cached struct {
	name      string
	namespace string // the provider's identity in the shared tiers
	backend   Backend
	cache     *cache
	tiers     *tiers // disk and Redis; nil when neither is enabled
	flight    singleflight.Group
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
	t, err := openTiers(cfg)
	if err != nil {
		return nil, &Error{Op: "new", Provider: name, Err: err}
	}
	ns := name
	if n, ok := b.(Namespacer); ok {
		ns += "|" + n.Namespace()
	}
	return &Cached{name: name, namespace: ns, backend: b, cache: c, tiers: t}, nil
}

func (c *Cached) fail(op, path string, err error) error {
	return &Error{Op: op, Provider: c.name, Path: path, Err: err}
}

func (c *Cached) validate(op, path string) error {
	if path == "" {
		return invalidf("empty path")
	}
	if v, ok := c.backend.(Validator); ok {
		if err := v.Validate(op, path); err != nil {
			return errors.Join(ErrInvalid, err)
		}
	}
	return nil
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
	v, kind := Value{}, miss
	if !o.noCache {
		v, kind = c.cache.value(k)
		if kind == hitDue {
			c.refresh(ctx, k, o.q)
		}
	}
	var err error
	if kind == miss {
		v, err = c.fetch(ctx, k, o.q, o.noCache)
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
// is done. When the call fails for a transient reason, a value at most
// MaxStale past its expiry is served instead.
func (c *Cached) fetch(ctx context.Context, k cacheKey, q Query, noCache bool) (Value, error) {
	if err := c.validate("get", k.path); err != nil {
		return Value{}, err
	}
	if err := ctx.Err(); err != nil {
		return Value{}, err // no caller would wait for the read
	}
	gen := c.cache.generation()
	kind := byte('v')
	if noCache {
		kind = 'n'
	}
	ch := c.flight.DoChan(flightKey(kind, gen, k), func() (any, error) {
		// A flight that ended between our cache miss and this one stored
		// the value: no second remote call.
		if !noCache {
			if v, ok := c.cache.fresh(k); ok {
				return v, nil
			}
			if v, ok := c.tierValue(ctx, gen, k, q); ok {
				return v, nil
			}
		}
		return c.fleetFetch(ctx, gen, k, q)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			if v, ok := c.staleFor(k, r.Err); ok {
				return v, nil
			}
			return Value{}, r.Err
		}
		return r.Val.(Value), nil
	case <-ctx.Done():
		return Value{}, ctx.Err()
	}
}

// safeFetch calls the backend detached from ctx's cancellation, and turns a
// panic into an error: a panic in a single flight's goroutine would end the
// process. The message names the panic's type only, never its value, which
// could hold a secret.
func (c *Cached) safeFetch(ctx context.Context, path string, q Query) (v Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("s1crets: the %s provider panicked (%T)", c.name, r)
		}
	}()
	return c.backend.Fetch(context.WithoutCancel(ctx), path, q)
}

func (c *Cached) staleFor(k cacheKey, err error) (Value, bool) {
	tc, ok := c.backend.(TransientChecker)
	if !ok || !tc.Transient(err) {
		return Value{}, false
	}
	return c.cache.stale(k)
}

// refresh fetches k in the background, for refresh-ahead. It shares the
// single flight with Gets that miss meanwhile.
func (c *Cached) refresh(ctx context.Context, k cacheKey, q Query) {
	gen := c.cache.generation()
	c.flight.DoChan(flightKey('v', gen, k), func() (any, error) {
		v, err := c.safeFetch(ctx, k.path, q)
		if err == nil {
			c.cache.storeValue(gen, k, v)
			c.putValue(ctx, k.path, q, v)
		}
		return v, err
	})
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
	if err == nil {
		err = c.validate("get-by-path", path)
	}
	if err != nil {
		return nil, c.fail("get-by-path", path, err)
	}
	k := keyOf(path, o.q)
	if !o.noCache {
		if m, kind := c.cache.list(k); kind != miss {
			return copyMap(m), nil
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, c.fail("get-by-path", path, err)
	}
	gen := c.cache.generation()
	ch := c.flight.DoChan(flightKey('p', gen, k), func() (any, error) {
		if !o.noCache {
			if m, ok := c.tierList(ctx, gen, k, o.q); ok {
				return m, nil
			}
		}
		m, err := c.safeFetchByPath(ctx, path, o.q)
		if err == nil {
			c.cache.storeList(gen, k, m, singleQuery(o.q))
			c.putList(ctx, path, o.q, m)
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

func (c *Cached) safeFetchByPath(ctx context.Context, path string, q Query) (m map[string]Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("s1crets: the %s provider panicked (%T)", c.name, r)
		}
	}()
	return c.backend.FetchByPath(context.WithoutCancel(ctx), path, q)
}

// singleQuery is the query of a Get that reads what a listing or a batch
// with q returned.
func singleQuery(q Query) Query {
	s := DefaultQuery
	s.Decrypt = q.Decrypt
	return s
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
	if err == nil {
		err = c.validate("update", path)
	}
	if err != nil {
		return c.fail("update", path, err)
	}
	err = c.backend.Store(ctx, path, value)
	c.cache.invalidate(path) // also on error: the write may have landed
	c.invalidateTiers(context.WithoutCancel(ctx), path)
	if err != nil {
		return c.fail("update", path, scrub(err, value))
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
	if err == nil {
		err = c.validate("path-exists", path)
	}
	if err != nil {
		return false, c.fail("path-exists", path, err)
	}
	pc, ok := c.backend.(PathChecker)
	if ok && len(o.keys) == 0 {
		if _, ok := c.cache.fresh(keyOf(path, o.q)); ok && !o.noCache {
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
