package s1crets

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/s1crets/s1crets/driver"
)

// DefaultTierCoolDown is how long a tier that failed is skipped.
const DefaultTierCoolDown = 30 * time.Second

// errTierDown is the error of a tier operation skipped while the tier's
// breaker is open.
var errTierDown = errors.New("the cache tier failed a moment ago and is skipped until its cool-down ends")

// breaker is a circuit breaker around a tier: a tier that fails (a read
// that cannot tell its generations, a write that fails) is skipped for a
// cool-down, so that a Redis that is down or unresponsive costs its
// timeout once per cool-down, not on every read. After the cool-down one
// call probes it; a success closes the breaker.
type breaker struct {
	tier     driver.Tier
	coolDown time.Duration
	now      func() time.Time

	mu      sync.Mutex // guards openTo and probing
	openTo  time.Time  // skipped until then
	probing bool       // a probe is in progress

	// failed, when set, is told each failure of the tier (not the calls
	// skipped while it cools down), outside mu: for the statistics.
	failed func(op string, err error)
}

var (
	_ driver.Tier        = (*breaker)(nil)
	_ driver.BatchTier   = (*breaker)(nil)
	_ driver.FleetLocker = (*breaker)(nil)
)

// allow reports whether a call may go to the tier.
func (b *breaker) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.openTo.IsZero() {
		return true
	}
	if b.probing || b.now().Before(b.openTo) {
		return false
	}
	b.probing = true
	return true
}

// done records the outcome of a call that allow let through.
func (b *breaker) done(ok bool, op string, err error) {
	b.mu.Lock()
	b.probing = false
	if ok {
		b.openTo = time.Time{}
	} else {
		b.openTo = b.now().Add(b.coolDown)
	}
	b.mu.Unlock()
	if !ok && b.failed != nil {
		b.failed(op, err)
	}
}

func (b *breaker) Get(ctx context.Context, name, variant string) ([]byte, driver.Stamp, bool) {
	if !b.allow() {
		return nil, driver.Stamp{}, false
	}
	data, st, hit := b.tier.Get(ctx, name, variant)
	b.done(st.OK || hit, "read", nil)
	return data, st, hit
}

func (b *breaker) GetMany(ctx context.Context, names []string, variant string) ([][]byte, []driver.Stamp, []bool) {
	data, sts, hits := make([][]byte, len(names)), make([]driver.Stamp, len(names)), make([]bool, len(names))
	if !b.allow() {
		return data, sts, hits
	}
	if bt, ok := b.tier.(driver.BatchTier); ok {
		data, sts, hits = bt.GetMany(ctx, names, variant)
	} else {
		for i, n := range names {
			data[i], sts[i], hits[i] = b.tier.Get(ctx, n, variant)
		}
	}
	ok := len(names) == 0 || sts[0].OK || hits[0]
	b.done(ok, "read", nil)
	return data, sts, hits
}

func (b *breaker) Stamp(ctx context.Context, name string) driver.Stamp {
	if !b.allow() {
		return driver.Stamp{}
	}
	st := b.tier.Stamp(ctx, name)
	b.done(st.OK, "read", nil)
	return st
}

func (b *breaker) Put(ctx context.Context, name, variant string, data []byte, ttl time.Duration, st driver.Stamp) error {
	if !st.OK { // nothing to write: the read before the fetch failed
		return nil
	}
	if !b.allow() {
		return errTierDown
	}
	err := b.tier.Put(ctx, name, variant, data, ttl, st)
	b.done(err == nil, "write", err)
	return err
}

func (b *breaker) Delete(ctx context.Context, name string) error {
	if !b.allow() {
		return errTierDown
	}
	err := b.tier.Delete(ctx, name)
	b.done(err == nil, "invalidate", err)
	return err
}

func (b *breaker) Purge(ctx context.Context) error {
	if !b.allow() {
		return errTierDown
	}
	err := b.tier.Purge(ctx)
	b.done(err == nil, "invalidate", err)
	return err
}

func (b *breaker) Close() error { return b.tier.Close() }

func (b *breaker) Lock(ctx context.Context, name, variant string, ttl time.Duration) (func(), bool) {
	l, ok := b.tier.(driver.FleetLocker)
	if !ok || !b.allow() {
		return nil, false
	}
	release, locked := l.Lock(ctx, name, variant, ttl)
	b.done(true, "", nil) // another holder is not a failure; a failing server failed the read before
	return release, locked
}

func (b *breaker) WaitFor(ctx context.Context, name, variant string, maxWait time.Duration) ([]byte, bool) {
	l, ok := b.tier.(driver.FleetLocker)
	if !ok || !b.allow() {
		return nil, false
	}
	data, got := l.WaitFor(ctx, name, variant, maxWait)
	b.done(true, "", nil)
	return data, got
}
