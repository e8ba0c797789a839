package s1crets

import (
	"context"
	"errors"
	"strconv"
)

// Many is the result of GetMany.
type Many struct {
	Values  map[string]Value // the secrets read, by name
	Missing []string         // names that do not exist, in the order asked
	Failed  map[string]error // names that could not be read, with the reason
}

// Err returns nil when every name was read, else an error that names the
// missing and failed ones (matching ErrNotFound when any is missing). Call
// it to treat a missing name as fatal.
func (m Many) Err() error {
	if len(m.Missing) == 0 && len(m.Failed) == 0 {
		return nil
	}
	var errs []error
	if len(m.Missing) > 0 {
		errs = append(errs, notFoundNames(m.Missing))
	}
	for name, err := range m.Failed {
		errs = append(errs, &Error{Op: "get-many", Path: name, Err: err})
	}
	return errors.Join(errs...)
}

// notFoundNames returns an ErrNotFound error that lists names.
func notFoundNames(names []string) error {
	msg := "s1crets: not found:"
	for _, n := range names {
		msg += " " + strconv.Quote(n)
	}
	return &notFoundList{msg}
}

type notFoundList struct{ msg string }

func (e *notFoundList) Error() string        { return e.msg }
func (e *notFoundList) Is(target error) bool { return target == ErrNotFound }

// GetMany reads many secrets: the cached ones from the cache, the others in
// as few remote calls as the store allows (Parameter Store: GetParameters,
// 10 names a call; Secrets Manager: BatchGetSecretValue, 20 a call). A
// missing name is reported in Many.Missing, not as an error; the error is
// for bad input or a failure of the whole read. Per-call options apply to
// every name (KeyPath too).
func (c *Cached) GetMany(ctx context.Context, names []string, opts ...Option) (Many, error) {
	o, err := parseCall(opts)
	if err == nil && o.hasDef {
		err = invalidf("Default does not apply to GetMany")
	}
	for _, n := range names {
		if err == nil {
			err = c.validate("get", n)
		}
	}
	if err != nil {
		return Many{}, c.fail("get-many", "", err)
	}
	res := Many{Values: make(map[string]Value, len(names)), Failed: map[string]error{}}
	var todo []string
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		if !o.noCache {
			k := keyOf(n, o.q)
			if v, kind := c.cache.value(k); kind != miss {
				if kind == hitDue {
					c.refresh(ctx, k, o.q)
				}
				res.Values[n] = v
				continue
			}
			if v, ok := c.tierValue(ctx, c.cache.generation(), k, o.q); ok {
				res.Values[n] = v
				continue
			}
		}
		todo = append(todo, n)
	}
	if len(todo) > 0 {
		if err := c.fetchMany(ctx, todo, o.q, &res); err != nil {
			return Many{}, c.fail("get-many", "", err)
		}
	}
	if len(o.keys) > 0 {
		for n, v := range res.Values {
			lv, err := v.Lookup(o.keys...)
			switch {
			case err == nil:
				res.Values[n] = lv
			case isNotFound(err):
				delete(res.Values, n)
				res.Missing = append(res.Missing, n)
			default:
				delete(res.Values, n)
				res.Failed[n] = err
			}
		}
	}
	// Report missing names in the order asked.
	var missing []string
	for _, n := range names {
		if _, ok := res.Values[n]; !ok && res.Failed[n] == nil && !seenIn(missing, n) {
			missing = append(missing, n)
		}
	}
	res.Missing = missing
	return res, nil
}

func seenIn(s []string, n string) bool {
	for _, x := range s {
		if x == n {
			return true
		}
	}
	return false
}

func (c *Cached) fetchMany(ctx context.Context, names []string, q Query, res *Many) error {
	gen := c.cache.generation()
	mf, ok := c.backend.(ManyFetcher)
	if !ok {
		for _, n := range names {
			v, err := c.fetch(ctx, keyOf(n, q), q, false)
			switch {
			case err == nil:
				res.Values[n] = v
			case isNotFound(err):
			case ctx.Err() != nil:
				return ctx.Err()
			default:
				res.Failed[n] = err
			}
		}
		return nil
	}
	found, failed, err := mf.FetchMany(ctx, names, q)
	if err != nil {
		return err
	}
	for n, v := range found {
		res.Values[n] = v
		c.cache.storeValue(gen, keyOf(n, q), v)
		c.putValue(ctx, n, q, v)
	}
	for n, err := range failed {
		if !isNotFound(err) {
			res.Failed[n] = err
		}
	}
	return nil
}
