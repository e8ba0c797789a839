package s1crets

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/s1crets/s1crets/driver"
)

// The load pipeline: every read (Get, GetByPath, GetMany, PathExists and
// the background refresh) that the memory cache cannot answer goes one
// way, in a flight that concurrent readers of the same key share:
//
//	memory -> disk -> shared tier (with the fleet lock) -> the store -> write back to every tier
//
// A flight runs in the background under a deadline (Client.bound), so that
// no reader waits on it past its own context and a stalled answer cannot
// wedge a key: the next read after the deadline starts a new flight.

// loaded is the result of a load: a value or a listing, with where it was
// found, for the statistics and events.
type loaded struct {
	v        Value
	m        map[string]Value
	src      Source
	missed   Sources // the tiers asked before src
	attempts int     // of the remote call, when the store counts them
}

// loadMode says which caches a load may answer from.
type loadMode uint8

const (
	modeRead    loadMode = iota // memory, the tiers, the fleet lock, then the store
	modeRefresh                 // the fleet lock, then the store: memory holds an entry due for refresh
	modeNoCache                 // the store only (NoCache), writing every tier
)

// start returns the flight of (k, q), starting its load when none is in
// progress. ctx gives the load its values, not its cancellation. The load
// runs in the background, so that its caller can stop waiting at its own
// context; a caller whose context can never be cancelled runs it inline,
// which saves a goroutine and a hand-off on every miss.
func (c *Client) start(ctx context.Context, k flightKey, q driver.Query, mode loadMode) (*flight, bool) {
	f, leader := c.flights.join(k)
	if !leader {
		return f, true
	}
	run := func() {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.bound)
		defer cancel()
		stop := context.AfterFunc(c.bg, cancel)
		defer stop()
		res, err := c.loadOne(lctx, k, q, mode)
		c.noteOutcome(k, res, err)
		c.flights.end(k, f, res, err)
	}
	var ok bool
	if ctx.Done() == nil && mode != modeRefresh { // a refresh never holds up the read that started it
		ok = c.goInline(run)
	} else {
		ok = c.goBackground(run)
	}
	if !ok {
		c.flights.end(k, f, loaded{}, ErrClosed)
	}
	return f, ok
}

// wait waits for f or ctx, whichever comes first.
func wait(ctx context.Context, f *flight) (loaded, error) {
	select {
	case <-f.done:
		return f.res, f.err
	case <-ctx.Done():
		return loaded{}, ctx.Err()
	}
}

// loadValue reads the value k through the pipeline, for a caller that
// waits up to ctx. A transient failure serves a value at most MaxStale past
// its expiry.
func (c *Client) loadValue(ctx context.Context, k cacheKey, q driver.Query, noCache bool) (Value, error) {
	mode := modeRead
	if noCache {
		mode = modeNoCache
	}
	start := c.now()
	var res loaded
	err, blocked := c.backoff.blocked(k)
	if !blocked || noCache {
		f, _ := c.start(ctx, flightKey{key: k, gen: c.mem.generation(), noCache: noCache}, q, mode)
		res, err = wait(ctx, f)
	}
	c.read("get", k.path, false, !noCache, start, res, err)
	if err != nil {
		if c.transient(err) {
			if v, ok := c.mem.stale(k); ok {
				c.servedStale("get", k.path, err)
				return v, nil
			}
		}
		return Value{}, err
	}
	return res.v, nil
}

// loadList reads the listing k through the pipeline.
func (c *Client) loadList(ctx context.Context, k cacheKey, q driver.Query, noCache bool) (map[string]Value, error) {
	mode := modeRead
	if noCache {
		mode = modeNoCache
	}
	start := c.now()
	if err, blocked := c.backoff.blocked(k); blocked && !noCache {
		c.read("get-by-path", k.path, true, true, start, loaded{}, err)
		return nil, err
	}
	f, _ := c.start(ctx, flightKey{key: k, gen: c.mem.generation(), list: true, noCache: noCache}, q, mode)
	res, err := wait(ctx, f)
	c.read("get-by-path", k.path, true, !noCache, start, res, err)
	return res.m, err
}

// noteOutcome records a transient failure of k for the backoff, and
// forgets it on a success, which it tells k's watchers; it remembers a
// secret that does not exist (see CacheConfig.NegativeTTL).
func (c *Client) noteOutcome(k flightKey, res loaded, err error) {
	switch {
	case err == nil:
		c.backoff.ok(k.key)
		if !k.list {
			c.watches.notify(k.key, res.v)
		}
	case errors.Is(err, ErrNotFound):
		if !k.list {
			c.mem.storeAbsent(k.gen, k.key, err)
		}
	case c.transient(err):
		c.backoff.failed(k.key, err)
	}
}

// refresh reloads the value k in the background, for refresh-ahead. It
// shares its flight with the reads that miss meanwhile.
func (c *Client) refresh(ctx context.Context, k cacheKey, q driver.Query) {
	if ctx == nil {
		ctx = context.Background()
	}
	c.refreshed(k.path)
	c.start(ctx, flightKey{key: k, gen: c.mem.generation()}, q, modeRefresh)
}

func (c *Client) transient(err error) bool {
	tc, ok := c.store.(driver.TransientChecker)
	return ok && err != nil && tc.Transient(err)
}

// loadOne is the body of a flight.
func (c *Client) loadOne(ctx context.Context, k flightKey, q driver.Query, mode loadMode) (loaded, error) {
	path := k.key.path
	if mode == modeRead {
		// A flight that ended between the caller's miss and this one
		// stored the result: no second remote call.
		if k.list {
			if m, ok := c.mem.freshList(k.key); ok {
				return loaded{m: m, src: SourceMemory}, nil
			}
		} else if v, ok := c.mem.fresh(k.key); ok {
			return loaded{v: v, src: SourceMemory}, nil
		}
	}
	var tiers []driver.Tier
	var locker driver.FleetLocker
	name, useTiers := c.tierName(ctx, path)
	if useTiers {
		tiers, locker = c.tiers.values, c.tiers.valueLocker
		if k.list {
			tiers, locker = c.tiers.lists, c.tiers.listLocker
		}
	}
	variant := variantName(q)
	var stamps []driver.Stamp
	var missed Sources // the tiers read and missed
	if useTiers {
		r := c.readTiers(ctx, tiers, name, variant, mode != modeRead)
		if r.hit {
			if res, ok := c.fromTier(k, q, r.data, r.fetched); ok {
				c.writeTiers(ctx, tiers, r.stamps, name, variant, r.fetched, r.data)
				res.src, res.missed = r.src, r.missed
				return res, nil
			}
		}
		stamps = r.stamps
		if mode == modeRead {
			missed = c.tiers.all
		}
		if locker != nil && mode != modeNoCache {
			release, locked := locker.Lock(ctx, name, variant, c.bound)
			if locked {
				defer release()
				// Another process may have shared it between our miss and
				// the lock.
				last := len(tiers) - 1
				raw, st, hit := tiers[last].Get(ctx, name, variant)
				if hit {
					if payload, fetched, ok := decodeEntry(raw, c.mem.clock.Now(), c.mem.ttl); ok {
						if res, ok := c.fromTier(k, q, payload, fetched); ok {
							c.writeTiers(ctx, tiers, stamps[:last], name, variant, fetched, payload)
							res.src, res.missed = SourceShared, missed&^(1<<SourceShared)
							return res, nil
						}
					}
				} else {
					stamps[last] = st
				}
			} else if raw, ok := locker.WaitFor(ctx, name, variant, c.tiers.lockWait); ok {
				if payload, fetched, ok := decodeEntry(raw, c.mem.clock.Now(), c.mem.ttl); ok {
					if res, ok := c.fromTier(k, q, payload, fetched); ok {
						c.writeTiers(ctx, tiers, stamps[:len(stamps)-1], name, variant, fetched, payload)
						res.src, res.missed = SourceShared, missed&^(1<<SourceShared)
						return res, nil
					}
				}
			}
		}
	}
	if k.list {
		m, attempts, err := c.fetchList(ctx, path, q)
		if err != nil {
			return loaded{src: SourceStore, missed: missed, attempts: attempts}, err
		}
		fetched := c.mem.clock.Now()
		c.mem.storeList(k.gen, k.key, m, singleQuery(q), fetched)
		if useTiers {
			c.writeTiers(ctx, tiers, stamps, name, variant, fetched, encodeList(m))
		}
		return loaded{m: m, src: SourceStore, missed: missed, attempts: attempts}, nil
	}
	sec, attempts, err := c.fetchValue(ctx, path, q)
	if err != nil {
		return loaded{src: SourceStore, missed: missed, attempts: attempts}, err
	}
	v := valueOf(sec)
	fetched := c.mem.clock.Now()
	c.mem.storeValue(k.gen, k.key, v, sec.Name, fetched)
	// Only a secret read by its own name goes to the tiers: an Update by
	// that name in any process drops it there. Reads by ARN or version
	// selector stay in this process's memory, where aliases track them.
	if useTiers && (sec.Name == "" || sec.Name == path) {
		c.writeTiers(ctx, tiers, stamps, name, variant, fetched, encodeValue(v))
	}
	return loaded{v: v, src: SourceStore, missed: missed, attempts: attempts}, nil
}

// fromTier decodes a tier's payload and caches it in memory with the time
// the store answered it.
func (c *Client) fromTier(k flightKey, q driver.Query, payload []byte, fetched time.Time) (loaded, bool) {
	if k.list {
		m, ok := decodeList(payload)
		if ok {
			c.mem.storeList(k.gen, k.key, m, singleQuery(q), fetched)
		}
		return loaded{m: m}, ok
	}
	v, ok := decodeValue(payload)
	if ok {
		c.mem.storeValue(k.gen, k.key, v, "", fetched)
	}
	return loaded{v: v}, ok
}

// singleQuery is the Query of a Get that reads what a listing or a batch
// with q returned.
func singleQuery(q driver.Query) driver.Query {
	s := defaultQuery
	s.Decrypt = q.Decrypt
	return s
}

func valueOf(s driver.Secret) Value {
	var v Value
	if s.Binary != nil {
		v = NewBinaryValue(s.Binary)
	} else {
		v = NewValue(s.Text)
	}
	if s.Meta != nil {
		m := *s.Meta
		if m.Name == "" {
			m.Name = s.Name
		}
		m.Stages = slices.Clone(m.Stages)
		v.payload().meta = &m // v's payload is new: nothing else holds it yet
	}
	return v
}

func (c *Client) fetchValue(ctx context.Context, path string, q driver.Query) (s driver.Secret, attempts int, err error) {
	ctx, call := c.calling(ctx, opGet, path)
	defer call.end(&attempts, &err)
	defer recoverInto(c.name, &err)
	s, err = c.store.Get(ctx, path, q)
	return s, 0, err
}

func (c *Client) fetchList(ctx context.Context, path string, q driver.Query) (m map[string]Value, attempts int, err error) {
	ctx, call := c.calling(ctx, opGetByPath, path)
	defer call.end(&attempts, &err)
	defer recoverInto(c.name, &err)
	secs, err := c.store.GetByPath(ctx, path, q)
	if err != nil {
		return nil, 0, err
	}
	m = make(map[string]Value, len(secs))
	for n, s := range secs {
		m[n] = valueOf(s)
	}
	return m, 0, nil
}
