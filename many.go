package s1crets

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/s1crets/s1crets/driver"
)

// Many is the result of GetMany.
type Many struct {
	Values  map[string]Value // the secrets read, by name as asked
	Missing []string         // names that do not exist, in the order asked
	Failed  map[string]error // names that could not be read, with the reason (an *Error)
}

// Err returns nil when every name was read, else an *Error that names the
// missing and failed ones (matching ErrNotFound when any is missing). Call
// it to treat a missing name as fatal.
func (m Many) Err() error {
	if len(m.Missing) == 0 && len(m.Failed) == 0 {
		return nil
	}
	var errs []error
	if len(m.Missing) > 0 {
		quoted := make([]string, len(m.Missing))
		for i, n := range m.Missing {
			quoted[i] = strconv.Quote(n)
		}
		errs = append(errs, &reason{ErrNotFound, strings.Join(quoted, ", ")})
	}
	for _, name := range slices.Sorted(maps.Keys(m.Failed)) {
		err := m.Failed[name]
		if e, ok := err.(*Error); !ok || e.Path != name {
			err = &Error{Op: "get", Path: name, Err: err}
		}
		errs = append(errs, err)
	}
	return &Error{Op: "get-many", Err: &manyErr{errs}}
}

// manyErr joins the errors of GetMany on one line.
type manyErr struct{ errs []error }

func (e *manyErr) Error() string {
	msgs := make([]string, len(e.errs))
	for i, err := range e.errs {
		msgs[i] = strings.TrimPrefix(err.Error(), "s1crets: ")
	}
	return strings.Join(msgs, "; ")
}

func (e *manyErr) Unwrap() []error { return e.errs }

// GetMany reads many secrets: the cached ones from the cache, the others
// through the load pipeline in as few remote calls as the store allows
// (Parameter Store: GetParameters, 10 names a call; Secrets Manager:
// BatchGetSecretValue, 20 a call). A name that a concurrent Get is loading
// is not fetched twice. A missing name is reported in Many.Missing, not as
// an error; the error is for bad input or a failure of the whole read.
// Per-call options apply to every name (KeyPath too).
func (c *Client) GetMany(ctx context.Context, names []string, opts ...Option) (Many, error) {
	if ctx == nil {
		return Many{}, c.fail("get-many", "", errNilContext)
	}
	o, err := parseCall(opts)
	if err == nil && o.hasDef {
		err = invalidf("Default does not apply to GetMany")
	}
	if err == nil && len(names) == 0 {
		err = invalidf("no names")
	}
	for _, n := range names {
		if err == nil {
			if err = c.check(ctx, driver.OpGetMany, n, &o); err != nil {
				return Many{}, c.fail("get-many", n, err)
			}
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
		k := keyOf(n, o.q)
		switch {
		case o.noCache:
		case o.hasAge:
			if v, ok := c.mem.youngValue(k, o.maxAge); ok {
				res.Values[n] = v
				continue
			}
		default:
			if v, kind := c.mem.value(k); kind != miss {
				if c.obs != nil {
					c.hitEvent("get-many", n, false)
				}
				if kind == hitDue {
					c.refresh(ctx, k, o.q)
				}
				res.Values[n] = v
				continue
			}
			if _, ok := c.mem.absent(k); ok {
				c.absentHit("get-many", n)
				continue // missing, as the store said a moment ago
			}
		}
		todo = append(todo, n)
	}
	if len(todo) > 0 {
		if err := c.loadMany(ctx, todo, o.q, o.noCache || o.hasAge, &res); err != nil {
			return Many{}, c.fail("get-many", "", err)
		}
	}
	if len(o.keys) > 0 {
		for n, v := range res.Values {
			lv, err := v.Lookup(o.keys...)
			switch {
			case err == nil:
				res.Values[n] = lv
			case errors.Is(err, ErrNotFound):
				delete(res.Values, n)
			default:
				delete(res.Values, n)
				res.Failed[n] = err
			}
		}
	}
	for n, err := range res.Failed { // each reason an *Error that names the secret
		if e, ok := err.(*Error); ok && e.Provider == "" && e.Path == "" {
			err = e.Err // a Value's error (lookup): named here
		}
		res.Failed[n] = c.fail("get-many", n, err)
	}
	for _, n := range names { // missing names in the order asked
		if _, ok := res.Values[n]; !ok && res.Failed[n] == nil && seen[n] {
			res.Missing = append(res.Missing, n)
			seen[n] = false
		}
	}
	return res, nil
}

// loadMany loads names through the pipeline: it joins the flights of names
// that others are loading, and loads the rest in one batch flight.
func (c *Client) loadMany(ctx context.Context, names []string, q driver.Query, noCache bool, res *Many) error {
	start := c.now()
	gen := c.mem.generation()
	flightsOf := make([]*flight, len(names))
	var mine []int
	for i, n := range names {
		if err, blocked := c.backoff.blocked(keyOf(n, q)); blocked && !noCache {
			f := &flight{done: make(chan struct{}), err: err} // answered at once
			close(f.done)
			flightsOf[i] = f
			continue
		}
		f, leader := c.flights.join(flightKey{key: keyOf(n, q), gen: gen, noCache: noCache})
		flightsOf[i] = f
		if leader {
			mine = append(mine, i)
		}
	}
	if len(mine) > 0 {
		batch := make([]string, len(mine))
		for j, i := range mine {
			batch[j] = names[i]
		}
		end := func(out map[string]result) {
			for j, i := range mine {
				r := out[batch[j]]
				c.flights.end(flightKey{key: keyOf(batch[j], q), gen: gen, noCache: noCache}, flightsOf[i], r.res, r.err)
			}
		}
		mode := modeRead
		if noCache {
			mode = modeNoCache
		}
		if !c.goBackground(func() {
			lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.bound)
			defer cancel()
			stop := context.AfterFunc(c.bg, cancel)
			defer stop()
			out := c.loadBatch(lctx, batch, q, mode, gen)
			for n, r := range out {
				c.noteOutcome(flightKey{key: keyOf(n, q), gen: gen}, r.res, r.err)
			}
			end(out)
		}) {
			out := map[string]result{}
			for _, n := range batch {
				out[n] = result{err: ErrClosed}
			}
			end(out)
		}
	}
	for i, n := range names {
		r, err := wait(ctx, flightsOf[i])
		c.read("get-many", n, false, !noCache, start, r, err)
		switch {
		case err == nil:
			res.Values[n] = r.v
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, ErrNotFound):
		default:
			if c.transient(err) {
				if v, ok := c.mem.stale(keyOf(n, q)); ok {
					c.servedStale("get-many", n, err)
					res.Values[n] = v
					continue
				}
			}
			res.Failed[n] = err
		}
	}
	return nil
}

// pending is a name of a batch that no cache answered yet.
type pending struct {
	name, tname string         // as asked, and in the tiers
	stamps      []driver.Stamp // of the tiers read so far
	useTiers    bool
	missed      Sources // the tiers read and missed
}

// readTiersMany reads the pending names from the tiers in order, each tier
// in one call when it can (driver.BatchTier), and returns those that no
// tier had; the hits go to out, to memory and to the tiers before.
func (c *Client) readTiersMany(ctx context.Context, todo []*pending, q driver.Query, variant string, mode loadMode, gen uint64, out map[string]result) []*pending {
	tiers := c.tiers.values
	now := c.mem.clock.Now()
	for ti, t := range tiers {
		if len(todo) == 0 {
			break
		}
		names := make([]string, len(todo))
		for i, p := range todo {
			names[i] = p.tname
		}
		var datas [][]byte
		var sts []driver.Stamp
		var hits []bool
		bt, batch := t.(driver.BatchTier)
		switch {
		case mode != modeRead:
			sts = make([]driver.Stamp, len(names))
			for i, n := range names {
				sts[i] = t.Stamp(ctx, n)
			}
			hits = make([]bool, len(names))
		case batch:
			datas, sts, hits = bt.GetMany(ctx, names, variant)
		default:
			datas, sts, hits = make([][]byte, len(names)), make([]driver.Stamp, len(names)), make([]bool, len(names))
			for i, n := range names {
				datas[i], sts[i], hits[i] = t.Get(ctx, n, variant)
			}
		}
		next := todo[:0]
		for i, p := range todo {
			if hits[i] {
				if payload, fetched, ok := decodeEntry(datas[i], now, c.mem.ttl); ok {
					if res, ok := c.fromTier(flightKey{key: keyOf(p.name, q), gen: gen}, q, payload, fetched); ok {
						c.writeTiers(ctx, tiers[:ti], p.stamps, p.tname, variant, fetched, payload)
						res.src, res.missed = c.tiers.kinds[ti], p.missed
						out[p.name] = result{res: res}
						continue
					}
				}
				sts[i] = t.Stamp(ctx, p.tname) // an entry we do not serve: stamp anew
			}
			if mode == modeRead {
				p.missed = p.missed.With(c.tiers.kinds[ti])
			}
			p.stamps = append(p.stamps, sts[i])
			next = append(next, p)
		}
		todo = next
	}
	return todo
}

// result is the outcome of one name of a batch.
type result struct {
	res loaded
	err error
}

// loadBatch is the body of a batch flight: loadOne for many names, with the
// store's batch read.
func (c *Client) loadBatch(ctx context.Context, names []string, q driver.Query, mode loadMode, gen uint64) map[string]result {
	out := make(map[string]result, len(names))
	variant := variantName(q)
	var todo []*pending
	for _, n := range names {
		if mode == modeRead {
			if v, ok := c.mem.fresh(keyOf(n, q)); ok {
				out[n] = result{res: loaded{v: v, src: SourceMemory}}
				continue
			}
		}
		p := &pending{name: n}
		p.tname, p.useTiers = c.tierName(ctx, n)
		todo = append(todo, p)
	}
	if len(todo) > 0 && todo[0].useTiers { // one namespace per client: all or none
		todo = c.readTiersMany(ctx, todo, q, variant, mode, gen, out)
	}
	// The fleet lock: names that another process is fetching are waited
	// for, all at once; the others are fetched here in one batch.
	if locker := c.valueLocker(); locker != nil && mode != modeNoCache && len(todo) > 0 {
		var fetch []*pending
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, p := range todo {
			if !p.useTiers {
				fetch = append(fetch, p)
				continue
			}
			if release, ok := locker.Lock(ctx, p.tname, variant, c.bound); ok {
				defer release()
				fetch = append(fetch, p)
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				raw, ok := locker.WaitFor(ctx, p.tname, variant, c.tiers.lockWait)
				if ok {
					if payload, fetched, ok := decodeEntry(raw, c.mem.clock.Now(), c.mem.ttl); ok {
						if res, ok := c.fromTier(flightKey{key: keyOf(p.name, q), gen: gen}, q, payload, fetched); ok {
							c.writeTiers(ctx, c.tiers.values, p.stamps[:len(p.stamps)-1], p.tname, variant, fetched, payload)
							res.src, res.missed = SourceShared, p.missed&^(1<<SourceShared)
							mu.Lock()
							out[p.name] = result{res: res}
							mu.Unlock()
							return
						}
					}
				}
				mu.Lock()
				fetch = append(fetch, p)
				mu.Unlock()
			}()
		}
		wg.Wait()
		todo = fetch
	}
	if len(todo) == 0 {
		return out
	}
	batch := make([]string, len(todo))
	for i, p := range todo {
		batch[i] = p.name
	}
	found, failed, attempts, err := c.fetchMany(ctx, batch, q)
	fetched := c.mem.clock.Now()
	for _, p := range todo {
		from := loaded{src: SourceStore, missed: p.missed, attempts: attempts}
		switch sec, ok := found[p.name]; {
		case err != nil:
			out[p.name] = result{res: from, err: err}
		case ok:
			v := valueOf(sec)
			c.mem.storeValue(gen, keyOf(p.name, q), v, sec.Name, fetched)
			if p.useTiers && (sec.Name == "" || sec.Name == p.name) {
				c.writeTiers(ctx, c.tiers.values, p.stamps, p.tname, variant, fetched, encodeValue(v))
			}
			from.v = v
			out[p.name] = result{res: from}
		case failed[p.name] != nil:
			out[p.name] = result{res: from, err: failed[p.name]}
		default:
			out[p.name] = result{res: from, err: ErrNotFound}
		}
	}
	return out
}

func (c *Client) valueLocker() driver.FleetLocker {
	if c.tiers == nil {
		return nil
	}
	return c.tiers.valueLocker
}

// fetchMany reads names from the store: in batches when it can, else one
// by one.
func (c *Client) fetchMany(ctx context.Context, names []string, q driver.Query) (found map[string]driver.Secret, failed map[string]error, attempts int, err error) {
	if mg, ok := c.store.(driver.ManyGetter); ok {
		ctx, call := c.calling(ctx, opGetMany, "")
		defer call.end(&attempts, &err)
		defer recoverInto(c.name, &err)
		found, failed, err = mg.GetMany(ctx, names, q)
		return found, failed, 0, err
	}
	found, failed = map[string]driver.Secret{}, map[string]error{}
	for _, n := range names {
		sec, a, err := c.fetchValue(ctx, n, q)
		attempts = max(attempts, a)
		switch {
		case err == nil:
			found[n] = sec
		case errors.Is(err, ErrNotFound):
		case ctx.Err() != nil:
			return nil, nil, attempts, err
		default:
			failed[n] = err
		}
	}
	return found, failed, attempts, nil
}
