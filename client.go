package s1crets

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/s1crets/s1crets/driver"
)

// Client is a Provider over one store: the store's remote operations
// (a driver.Store) with the cache, its tiers, single flight, key paths,
// defaults and invalidation that every store shares. The providers of this
// module (aws.ParameterStore, aws.SecretsManager, memory.Provider) are
// Clients; Open returns one. It is safe for concurrent use; no lock is held
// over a remote call. Close it when done.
type Client struct {
	name    string
	store   driver.Store
	cfg     settings
	mem     *memCache
	backoff *backoff
	tiers   *tierSet // nil when no disk or shared tier is enabled
	flights flights
	watches watches
	bound   time.Duration // how long one shared load may take
	obs     Observer      // nil when none is set (Observe)
	stats   counters

	// Background work (shared loads and refreshes) runs under bg, which
	// Close cancels, and is counted in wg, which Close waits for.
	bg     context.Context
	cancel context.CancelFunc
	bgMu   sync.Mutex // guards closed and wg.Add
	closed bool
	wg     sync.WaitGroup

	nsMu      sync.Mutex    // guards the three fields below
	ns        string        // the namespace of this client's entries in the tiers, once known
	nsAsking  chan struct{} // closed when the identity call in progress ends; nil when none is
	nsRetryAt time.Time     // after a failed identity call: the tiers are skipped until then
}

var _ Provider = (*Client)(nil)

// New returns a Client named name (used in errors) over the store that open
// builds from the provider-level options (Retry, Timeout, Cache and the
// provider's own). Provider packages call it from their constructors;
// Open calls it for registered names.
func New(ctx context.Context, name string, open driver.Opener, opts ...Option) (*Client, error) {
	if ctx == nil {
		return nil, &Error{Op: "new", Provider: name, Err: errNilContext}
	}
	s, err := parseProvider(opts)
	if err != nil {
		return nil, &Error{Op: "new", Provider: name, Err: err}
	}
	return newClient(ctx, name, open, s)
}

func newClient(ctx context.Context, name string, open driver.Opener, s settings) (*Client, error) {
	if open == nil {
		return nil, &Error{Op: "new", Provider: name, Err: invalidf("nil driver.Opener")}
	}
	store, err := open(ctx, driver.Config{Retry: s.retry, Timeout: s.timeout, Settings: s.extra})
	if err != nil {
		return nil, &Error{Op: "new", Provider: name, Err: err}
	}
	if store == nil {
		return nil, &Error{Op: "new", Provider: name, Err: fmt.Errorf("the driver returned a nil Store")}
	}
	c := &Client{name: name, store: store, cfg: s, mem: newMemCache(s.cache, systemClock{})}
	t, err := openTiers(s.cache, func() time.Time { return c.mem.clock.Now() }, c.tierFailed)
	if err != nil {
		closeStore(store)
		return nil, &Error{Op: "new", Provider: name, Err: err}
	}
	c.tiers = t
	c.backoff = newBackoff(s.cache, func() time.Time { return c.mem.clock.Now() })
	c.obs = s.observer()
	c.mem.countHits = s.cache.CountHits || c.obs != nil
	if c.obs != nil {
		c.mem.onEvict = func(path string, list bool) {
			c.emit(Event{Kind: EventEvict, Name: path, List: list, Source: SourceMemory})
		}
	}
	// Each attempt is bounded by the timeout, with the SDK's backoff
	// between attempts; the fleet lock adds its wait.
	c.bound = time.Duration(s.retry)*(s.timeout+time.Second) + s.cache.RedisLockWait + 4*s.cache.RedisTimeout + time.Second
	c.bg, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

func closeStore(s driver.Store) error {
	if cl, ok := s.(interface{ Close() error }); ok {
		return cl.Close()
	}
	return nil
}

// Name returns the provider's name, as in errors ("aws.ps", "aws.sm",
// "memory").
func (c *Client) Name() string { return c.name }

// Close stops the background refreshes and the shared loads in progress,
// waits for them, and releases the tiers' connections and files and the
// store's. Calls after Close fail with ErrClosed. Close is idempotent.
func (c *Client) Close() error {
	c.bgMu.Lock()
	if c.closed {
		c.bgMu.Unlock()
		return nil
	}
	c.closed = true
	c.bgMu.Unlock()
	c.watches.stopAll()
	c.cancel()
	c.wg.Wait()
	c.mem.purge()
	err := c.tiers.close()
	if e := closeStore(c.store); err == nil {
		err = e
	}
	if err != nil {
		return &Error{Op: "close", Provider: c.name, Err: err}
	}
	return nil
}

// goBackground runs f under the client's background context, unless the
// client is closed.
func (c *Client) goBackground(f func()) bool {
	c.bgMu.Lock()
	defer c.bgMu.Unlock()
	if c.closed {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
	return true
}

// goInline runs f now, counted as background work so that Close waits
// for it, unless the client is closed.
func (c *Client) goInline(f func()) bool {
	c.bgMu.Lock()
	if c.closed {
		c.bgMu.Unlock()
		return false
	}
	c.wg.Add(1)
	c.bgMu.Unlock()
	defer c.wg.Done()
	f()
	return true
}

// tierName returns the name of path in the tiers: the client's namespace
// (the provider, and the store's identity: account, principal, region,
// endpoint) and the path. ok is false when there are no tiers or the
// identity is unknown (the tiers are then skipped).
func (c *Client) tierName(ctx context.Context, path string) (name string, ok bool) {
	if c.tiers == nil {
		return "", false
	}
	for {
		c.nsMu.Lock()
		switch {
		case c.ns != "":
			ns := c.ns
			c.nsMu.Unlock()
			return ns + "\x00" + path, true
		case c.mem.clock.Now().Before(c.nsRetryAt):
			c.nsMu.Unlock()
			return "", false
		case c.nsAsking != nil: // another read is asking: wait for its answer
			asking := c.nsAsking
			c.nsMu.Unlock()
			select {
			case <-asking:
				continue
			case <-ctx.Done():
				return "", false
			}
		}
		asking := make(chan struct{})
		c.nsAsking = asking
		c.nsMu.Unlock()
		id, err := c.identity(ctx)
		c.nsMu.Lock()
		c.nsAsking = nil
		if err != nil {
			// Not asked again on every read: a store that cannot say who
			// reads (STS unreachable) costs one call per cool-down.
			c.nsRetryAt = c.mem.clock.Now().Add(identityCoolDown)
		} else {
			c.ns = c.name + "\x00" + id
		}
		c.nsMu.Unlock()
		close(asking)
	}
}

// identityCoolDown is how long the tiers are skipped after the store could
// not name its identity.
const identityCoolDown = time.Minute

func (c *Client) identity(ctx context.Context) (id string, err error) {
	if ider, ok := c.store.(driver.Identifier); ok {
		ctx, call := c.calling(ctx, opIdentity, "")
		defer call.end(nil, &err)
		defer recoverInto(c.name, &err)
		return ider.Identity(ctx)
	}
	// A store that cannot name its identity shares nothing.
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "instance:" + hex.EncodeToString(b), nil
}

// recoverInto turns a panic of a driver into an error: a panic in a shared
// load's goroutine would end the process. The message names the panic's
// type only, never its value, which could hold a secret.
func recoverInto(provider string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("s1crets: the %s provider panicked (%T)", provider, r)
	}
}

func (c *Client) fail(op, path string, err error) error {
	return &Error{Op: op, Provider: c.name, Path: path, Err: err}
}

// check validates a call's common input: ctx, path and the store's own
// rules for name and Query.
func (c *Client) check(ctx context.Context, op driver.Op, path string, o *options) error {
	switch {
	case ctx == nil:
		return errNilContext
	case path == "":
		return invalidf("empty path")
	}
	c.bgMu.Lock()
	closed := c.closed
	c.bgMu.Unlock()
	if closed {
		return ErrClosed
	}
	if v, ok := c.store.(driver.Validator); ok {
		if err := v.Validate(op, path, o.q); err != nil {
			return &reason{ErrInvalid, err.Error()}
		}
	}
	return ctx.Err() // a caller that is gone makes no remote call
}

var errNilContext = invalidf("nil context.Context: pass context.Background() or a context of your own")
