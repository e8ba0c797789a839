package s1crets

import (
	"context"
	"errors"
	"maps"

	"github.com/s1crets/s1crets/driver"
)

// Provider is a secret store. *Client implements it, and so do the
// providers of this module (aws.ParameterStore, aws.SecretsManager,
// memory.Provider), which are Clients. Implementations are safe for
// concurrent use.
type Provider interface {
	// Get returns the secret at path; ErrNotFound when it does not exist.
	Get(ctx context.Context, path string, opts ...Option) (Value, error)
	// GetByPath returns the secrets below path by their full names.
	GetByPath(ctx context.Context, path string, opts ...Option) (map[string]Value, error)
	// Update replaces the value of the existing secret at path.
	Update(ctx context.Context, path, value string, opts ...Option) error
	// PathExists reports whether path (and the KeyPath, if given) exists.
	PathExists(ctx context.Context, path string, opts ...Option) (bool, error)
}

// Get returns the secret at path, from the cache when it holds a fresh
// copy. With KeyPath it returns the value at that key path of a JSON
// secret; with Default, that value instead of an ErrNotFound error. A cache
// hit allocates nothing, with or without a KeyPath.
func (c *Client) Get(ctx context.Context, path string, opts ...Option) (Value, error) {
	if ctx == nil { // also on a hit: the mistake shows before the cache is cold
		return Value{}, c.fail("get", path, errNilContext)
	}
	// The hot paths, a hit with no option or with a lone KeyPath: a few
	// loads and a walk of the prebuilt JSON tree, nothing to parse.
	var keys keyPathOpt
	if len(opts) == 1 {
		keys, _ = opts[0].Value().(keyPathOpt)
	}
	if (len(opts) == 0 || keys != nil) && path != "" {
		k := cacheKey{path: path}
		if v, kind := c.mem.value(k); kind != miss {
			if c.obs != nil {
				c.hitEvent("get", path, false)
			}
			if kind == hitDue {
				c.refresh(ctx, k, defaultQuery)
			}
			if keys == nil {
				return v, nil
			}
			if lv, err := v.Lookup(keys...); err == nil {
				return lv, nil
			}
			return c.keyPathMissing(path, v, keys)
		}
	}
	return c.get(ctx, path, opts)
}

// keyPathMissing is Get of a hit whose key path is not there: the error,
// kept off Get so that its hot path stays small.
func (c *Client) keyPathMissing(path string, v Value, keys []string) (Value, error) {
	return c.finishGet(path, v, nil, &options{q: defaultQuery, keys: keys})
}

func (c *Client) get(ctx context.Context, path string, opts []Option) (Value, error) {
	var o options
	k := cacheKey{path: path} // variant 0 is the default Query
	if len(opts) == 0 {
		o.q = defaultQuery
	} else {
		var err error
		if o, err = parseCall(opts); err != nil {
			return Value{}, c.fail("get", path, err)
		}
		k.variant = variantOf(o.q)
	}
	if o.hasAge && !o.noCache && path != "" {
		// A cached value young enough, or a fresh read.
		if v, ok := c.mem.youngValue(k, o.maxAge); ok {
			return c.finishGet(path, v, nil, &o)
		}
		o.noCache = true
	}
	if !o.noCache && path != "" {
		if v, kind := c.mem.value(k); kind != miss {
			if c.obs != nil {
				c.hitEvent("get", path, false)
			}
			if kind == hitDue {
				c.refresh(ctx, k, o.q)
			}
			return c.finishGet(path, v, nil, &o)
		}
		if err, ok := c.mem.absent(k); ok { // negative caching
			c.absentHit("get", path)
			return c.finishGet(path, Value{}, err, &o)
		}
	}
	if err := c.check(ctx, driver.OpGet, path, &o); err != nil {
		return Value{}, c.fail("get", path, err)
	}
	v, err := c.loadValue(ctx, k, o.q, o.noCache)
	return c.finishGet(path, v, err, &o)
}

// Invalidate drops every cached form of the secret at path (each query
// variant, the ARN or version forms it was read by, every listing) from
// memory and from every tier this process can reach, and forgets its
// failures and its absence: the next read asks the store. An error says
// which tier could not be reached.
func (c *Client) Invalidate(ctx context.Context, path string) error {
	o := options{q: defaultQuery}
	if err := c.check(ctx, driver.OpGet, path, &o); err != nil {
		return c.fail("invalidate", path, err)
	}
	names := []string{path}
	if canonical := c.mem.canonical(path); canonical != "" {
		names = append(names, canonical)
	}
	err := c.invalidateTiers(ctx, names...)
	c.mem.invalidate(names...)
	c.backoff.forget(names...)
	c.refreshWatched(context.WithoutCancel(ctx), path)
	if err != nil {
		return c.fail("invalidate", path, err)
	}
	return nil
}

// finishGet applies the key path and the default.
func (c *Client) finishGet(path string, v Value, err error, o *options) (Value, error) {
	if err == nil && len(o.keys) > 0 {
		v, err = v.Lookup(o.keys...)
	}
	if err != nil {
		if o.hasDef && errors.Is(err, ErrNotFound) {
			return NewValue(o.def), nil
		}
		var e *Error
		if errors.As(err, &e) && e.Provider == "" && e.Path == "" {
			return Value{}, &Error{Op: "get", Provider: c.name, Path: path, Err: e.Err}
		}
		return Value{}, c.fail("get", path, err)
	}
	return v, nil
}

// GetByPath returns every secret below path by its full name. What "below"
// means is the store's: Parameter Store's path hierarchy, Secrets Manager's
// name prefix. The values are also cached for later Gets.
func (c *Client) GetByPath(ctx context.Context, path string, opts ...Option) (map[string]Value, error) {
	o, err := parseCall(opts)
	switch {
	case err != nil:
	case len(o.keys) > 0:
		err = invalidf("KeyPath does not apply to GetByPath")
	case o.hasDef:
		err = invalidf("Default does not apply to GetByPath")
	default:
		err = c.check(ctx, driver.OpGetByPath, path, &o)
	}
	if err != nil {
		return nil, c.fail("get-by-path", path, err)
	}
	k := keyOf(path, o.q)
	if o.hasAge && !o.noCache {
		if m, ok := c.mem.youngList(k, o.maxAge); ok {
			return maps.Clone(m), nil
		}
		o.noCache = true
	}
	if !o.noCache {
		if m, kind := c.mem.list(k); kind != miss {
			if c.obs != nil {
				c.hitEvent("get-by-path", path, true)
			}
			return maps.Clone(m), nil
		}
	}
	m, err := c.loadList(ctx, k, o.q, o.noCache)
	if err != nil {
		return nil, c.fail("get-by-path", path, err)
	}
	return maps.Clone(m), nil // each caller its own map: none can change the cached one
}

// Update replaces the value of the existing secret at path, keeping its
// metadata (type, encryption key, ...). A missing secret is ErrNotFound.
// Every cached form of the secret (by name, ARN or version, in memory and in
// the disk and shared tiers) and every cached listing is dropped, so every
// read after Update returns the new value. When the store took the value
// but a tier could not be invalidated, the error says so.
//
// The store's own error message is never shown (it may quote the value):
// the error names the store's error code, and errors.As still reaches the
// store's error, which is the store's answer as it came and may quote the
// value: log the error Update returns, not the store's error.
func (c *Client) Update(ctx context.Context, path, value string, opts ...Option) error {
	o, err := parseCall(opts)
	if err == nil && o.perCall != "" {
		err = invalidf("%s does not apply to Update", o.perCall)
	}
	if err == nil {
		err = c.check(ctx, driver.OpUpdate, path, &o)
	}
	if err != nil {
		return c.fail("update", path, err)
	}
	canonical, err := c.storeUpdate(ctx, path, value)
	// Also on error: the write may have landed. The tiers first, then
	// memory, so that no read in this process refills memory from a tier
	// that still holds the old value.
	terr := c.invalidateTiers(context.WithoutCancel(ctx), path, canonical)
	c.mem.invalidate(path, canonical)
	c.backoff.forget(path, canonical)
	if err == nil {
		c.refreshWatched(context.WithoutCancel(ctx), path)
	}
	switch {
	case err != nil:
		return c.fail("update", path, withheld(err))
	case terr != nil:
		// This process at least reads the new value: from the store, into
		// memory and over the tier entries that could not be dropped.
		_, _ = c.loadValue(ctx, cacheKey{path: path}, defaultQuery, true)
		return c.fail("update", path, &tierFailure{terr})
	}
	return nil
}

func (c *Client) storeUpdate(ctx context.Context, path, value string) (canonical string, err error) {
	ctx, call := c.calling(ctx, opUpdate, path)
	defer call.end(nil, &err)
	defer recoverInto(c.name, &err)
	return c.store.Update(ctx, path, value)
}

// invalidateTiers drops every variant of names and every listing from the
// tiers.
func (c *Client) invalidateTiers(ctx context.Context, names ...string) error {
	if c.tiers == nil {
		return nil
	}
	var errs []error
	seen := map[string]bool{}
	for _, n := range names {
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		tn, ok := c.tierName(ctx, n)
		if !ok {
			return errors.New("the store's identity is unknown")
		}
		for _, t := range c.tiers.values {
			if err := t.Delete(ctx, tn); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, t := range c.tiers.lists {
		if err := t.Purge(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return joinErrors(errs)
}

// tierFailure is the error of an Update whose write landed in the store
// but whose invalidation of a cache tier failed.
type tierFailure struct{ err error }

func (e *tierFailure) Error() string {
	return "the store holds the new value, but a cache tier could not be invalidated and may serve the old one until its TTL ends: " + e.err.Error()
}

func (e *tierFailure) Unwrap() error { return e.err }

// withheld hides the store's message of a failed Update, which may quote
// the value in any form (whole, escaped, cut): it keeps the error code and
// the error itself for errors.Is and errors.As.
func withheld(err error) error {
	if errors.Is(err, ErrNotFound) {
		return &withheldErr{store: &storeError{err}, msg: "not found"}
	}
	var coded interface{ ErrorCode() string }
	msg := "the store refused the update"
	switch {
	case errors.As(err, &coded):
		msg += " (" + coded.ErrorCode() + ")"
	case errors.Is(err, context.Canceled):
		return &withheldErr{store: &storeError{err}, msg: context.Canceled.Error()}
	case errors.Is(err, context.DeadlineExceeded):
		return &withheldErr{store: &storeError{err}, msg: context.DeadlineExceeded.Error()}
	}
	return &withheldErr{store: &storeError{err}, msg: msg + "; its message is withheld because it may quote the value"}
}

// withheldErr is the error of a failed Update. It holds no copy of the
// store's message: the store's error sits behind a pointer, so that %#v of
// a withheldErr prints an address, not the store's error (which may quote
// the value) even when that error is a struct value.
type withheldErr struct {
	store *storeError
	msg   string
}

type storeError struct{ err error }

func (e *withheldErr) Error() string { return e.msg }
func (e *withheldErr) Unwrap() error { return e.store.err }

// PathExists reports whether path exists: for Parameter Store, a parameter
// name or a path with parameters below it; for Secrets Manager, a secret
// name. With KeyPath, whether the key path exists in that JSON secret.
func (c *Client) PathExists(ctx context.Context, path string, opts ...Option) (bool, error) {
	o, err := parseCall(opts)
	if err == nil && o.hasDef {
		err = invalidf("Default does not apply to PathExists")
	}
	if err == nil {
		err = c.check(ctx, driver.OpPathExists, path, &o)
	}
	if err != nil {
		return false, c.fail("path-exists", path, err)
	}
	if pc, ok := c.store.(driver.PathChecker); ok && len(o.keys) == 0 {
		if _, ok := c.mem.fresh(keyOf(path, o.q)); ok && !o.noCache {
			c.memoryHit("path-exists", path, false)
			return true, nil
		}
		start := c.now()
		exists, attempts, err := c.pathExists(ctx, pc, path)
		c.read("path-exists", path, false, !o.noCache, start, loaded{src: SourceStore, attempts: attempts}, err)
		if err != nil {
			return false, c.fail("path-exists", path, err)
		}
		return exists, nil
	}
	_, err = c.Get(ctx, path, opts...)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, ErrNotFound):
		return false, nil
	}
	var e *Error
	if errors.As(err, &e) {
		return false, c.fail("path-exists", path, e.Err)
	}
	return false, err
}

func (c *Client) pathExists(ctx context.Context, pc driver.PathChecker, path string) (ok bool, attempts int, err error) {
	ctx, call := c.calling(ctx, opPathExists, path)
	defer call.end(&attempts, &err)
	defer recoverInto(c.name, &err)
	ok, err = pc.PathExists(ctx, path)
	return ok, 0, err
}
