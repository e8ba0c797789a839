package s1crets

import (
	"math/rand/v2"
	"sync"
	"time"
)

// Defaults of the failure backoff.
const (
	DefaultFailureBackoff    = time.Second
	DefaultMaxFailureBackoff = time.Minute
)

// backoff remembers, per key, the transient failures of the store (AWS
// throttling, 5xx, network errors, timeouts), so that a secret whose fetch
// failed is not asked for again before a delay: exponential from
// FailureBackoff, capped at MaxFailureBackoff, with jitter, and forgotten on
// the first success. During an outage the store then sees one fetch per
// delay for each secret, whatever the number of reads.
type backoff struct {
	first, max time.Duration
	now        func() time.Time
	limit      int // most keys remembered

	mu sync.Mutex // guards keys
	// keys holds the failing keys. A key that succeeds is removed.
	keys map[cacheKey]*failure
}

type failure struct {
	err   error         // the last error
	delay time.Duration // the current delay
	until time.Time     // no fetch before it
}

func newBackoff(cfg CacheConfig, now func() time.Time) *backoff {
	b := &backoff{first: cfg.FailureBackoff, max: cfg.MaxFailureBackoff, now: now, limit: max(cfg.Size, 1),
		keys: map[cacheKey]*failure{}}
	if b.first == 0 {
		b.first = DefaultFailureBackoff
	}
	if b.max == 0 {
		b.max = max(DefaultMaxFailureBackoff, b.first)
	}
	return b
}

// blocked returns the last error of k while k is backing off.
func (b *backoff) blocked(k cacheKey) (error, bool) {
	if b.first < 0 {
		return nil, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	f, ok := b.keys[k]
	if !ok || !b.now().Before(f.until) {
		return nil, false
	}
	return &backingOff{err: f.err, until: f.until, now: b.now()}, true
}

// failed records a transient failure of k and starts or lengthens its
// delay.
func (b *backoff) failed(k cacheKey, err error) {
	if b.first < 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	f, ok := b.keys[k]
	if !ok {
		if len(b.keys) >= b.limit {
			for old := range b.keys { // forget one, at random
				delete(b.keys, old)
				break
			}
		}
		f = &failure{}
		b.keys[k] = f
		f.delay = b.first
	} else {
		f.delay = min(2*f.delay, b.max)
	}
	// Jitter: between half the delay and the delay, so that a fleet that
	// failed together does not come back together.
	d := f.delay/2 + rand.N(f.delay/2+1)
	f.err, f.until = err, b.now().Add(d)
}

// ok forgets k's failures.
func (b *backoff) ok(k cacheKey) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.keys, k)
}

// forget drops the failures of every variant of paths.
func (b *backoff) forget(paths ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for k := range b.keys {
		for _, p := range paths {
			if k.path == p {
				delete(b.keys, k)
			}
		}
	}
}

// backingOff is the error of a read that did not ask the store because
// the last fetch failed for a transient reason a short while ago.
type backingOff struct {
	err        error
	until, now time.Time
}

func (e *backingOff) Error() string {
	return "not asked again for " + e.until.Sub(e.now).Round(time.Millisecond).String() +
		" after a transient failure: " + e.err.Error()
}

func (e *backingOff) Unwrap() error { return e.err }
