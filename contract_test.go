package s1crets_test

// The cache contract (DESIGN.md section 2.1): one test per point, against a
// store and a shared tier that the tests control. Time moves with a fake
// clock; no test asserts a wall-clock bound.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/driver"
)

// fakeStore is a driver.Store whose answers, identity and timing a test
// controls. Aliases map other forms of a name (an ARN, a version selector)
// to the store's own name, as AWS answers them.
type fakeStore struct {
	mu      sync.Mutex // guards the fields below
	values  map[string]string
	aliases map[string]string // asked form -> own name
	pinned  map[string]string // asked form -> a fixed (old version's) value
	id      string
	idErr   error
	failing error // every Get fails with it while set

	gets, updates, ids atomic.Int64
	gate               chan struct{} // when set, Get waits for it (or its ctx) before answering
	entered            chan struct{} // receives once per Get that reached the gate
	sawDeadline        atomic.Bool   // a Get ran under a context with a deadline
}

func newFakeStore(values map[string]string) *fakeStore {
	return &fakeStore{values: values, aliases: map[string]string{}, pinned: map[string]string{}, id: "acct-1|user/a"}
}

func (s *fakeStore) own(name string) string {
	if o, ok := s.aliases[name]; ok {
		return o
	}
	return name
}

func (s *fakeStore) Get(ctx context.Context, name string, q driver.Query) (driver.Secret, error) {
	s.gets.Add(1)
	if _, ok := ctx.Deadline(); ok {
		s.sawDeadline.Store(true)
	}
	s.mu.Lock()
	own, pinned, hasPin := s.own(name), s.pinned[name], false
	if _, ok := s.pinned[name]; ok {
		hasPin = true
	}
	v, ok := s.values[own]
	gate, entered, failing := s.gate, s.entered, s.failing
	s.mu.Unlock()
	if gate != nil {
		if entered != nil {
			entered <- struct{}{}
		}
		select {
		case <-gate:
		case <-ctx.Done():
			return driver.Secret{}, ctx.Err()
		}
	}
	if failing != nil {
		return driver.Secret{}, failing
	}
	if hasPin {
		return driver.Secret{Name: own, Text: pinned}, nil
	}
	if !ok {
		return driver.Secret{}, driver.ErrNotFound
	}
	return driver.Secret{Name: own, Text: v, Meta: &driver.Meta{ARN: "arn:fake:" + own, Version: "v1",
		Stages: []string{"AWSCURRENT"}, Created: time.Unix(1_600_000_000, 500_000_000).UTC()}}, nil
}

func (s *fakeStore) GetByPath(ctx context.Context, path string, q driver.Query) (map[string]driver.Secret, error) {
	s.gets.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]driver.Secret{}
	for n, v := range s.values {
		if strings.HasPrefix(n, path) {
			out[n] = driver.Secret{Name: n, Text: v}
		}
	}
	return out, nil
}

func (s *fakeStore) Update(ctx context.Context, name, value string) (string, error) {
	s.updates.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	own := s.own(name)
	if _, ok := s.values[own]; !ok {
		return "", driver.ErrNotFound
	}
	s.values[own] = value
	return own, nil
}

func (s *fakeStore) Identity(ctx context.Context) (string, error) {
	s.ids.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id, s.idErr
}

func (s *fakeStore) Transient(err error) bool { return errors.Is(err, errTransient) }

var errTransient = errors.New("throttled (transient)")

func (s *fakeStore) set(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.values[name] = value
}

// open returns a Client over s with cfg, closed when the test ends.
func open(t *testing.T, s driver.Store, cfg s1crets.CacheConfig, opts ...s1crets.Option) *s1crets.Client {
	t.Helper()
	opts = append(opts, s1crets.Cache(cfg))
	c, err := s1crets.New(context.Background(), "fake", func(context.Context, driver.Config) (driver.Store, error) { return s, nil }, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// memTier is a shared tier in memory (what Redis is to a fleet), with the
// generations of driver.Tier, registered as "memtier://NAME": clients that
// name the same NAME share it.
type memTier struct {
	mu      sync.Mutex // guards the fields below
	entries map[[2]string]memEntry
	gens    map[string]int
	global  int
	failDel bool // Delete and Purge fail
	down    bool // every call fails: reads cannot tell their generations
	calls   int  // calls while down
	puts    int
	gets    int
}

type memEntry struct {
	data []byte
	gen  string
}

func (t *memTier) gen(name string) string { return fmt.Sprintf("%d/%d", t.global, t.gens[name]) }

func (t *memTier) Get(ctx context.Context, name, variant string) ([]byte, driver.Stamp, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.down {
		t.calls++
		return nil, driver.Stamp{}, false
	}
	t.gets++
	e, ok := t.entries[[2]string{name, variant}]
	if ok && e.gen == t.gen(name) {
		return e.data, driver.Stamp{}, true
	}
	return nil, driver.Stamp{Gen: t.gen(name), OK: true}, false
}

func (t *memTier) Stamp(ctx context.Context, name string) driver.Stamp {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.down {
		t.calls++
		return driver.Stamp{}
	}
	return driver.Stamp{Gen: t.gen(name), OK: true}
}

func (t *memTier) Put(ctx context.Context, name, variant string, data []byte, ttl time.Duration, st driver.Stamp) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !st.OK {
		return nil
	}
	t.puts++
	t.entries[[2]string{name, variant}] = memEntry{data: append([]byte(nil), data...), gen: st.Gen}
	return nil
}

func (t *memTier) Delete(ctx context.Context, name string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.down {
		t.calls++
	}
	if t.failDel || t.down {
		return errors.New("memtier: down")
	}
	t.gens[name]++
	return nil
}

func (t *memTier) Purge(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failDel {
		return errors.New("memtier: down")
	}
	t.global++
	return nil
}

func (t *memTier) Close() error { return nil }

// names returns the names of the entries it holds.
func (t *memTier) names() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for k := range t.entries {
		out = append(out, k[0])
	}
	return out
}

var tierSeq atomic.Int64

var memTiers = struct {
	mu sync.Mutex
	m  map[string][2]*memTier
}{m: map[string][2]*memTier{}}

func init() {
	driver.RegisterTier("memtier", func(url string, o driver.TierOptions) (driver.Tier, driver.Tier, error) {
		memTiers.mu.Lock()
		defer memTiers.mu.Unlock()
		pair, ok := memTiers.m[url]
		if !ok {
			for i := range pair {
				pair[i] = &memTier{entries: map[[2]string]memEntry{}, gens: map[string]int{}}
			}
			memTiers.m[url] = pair
		}
		return pair[0], pair[1], nil
	})
}

// sharedTier returns a fresh shared tier for t: its URL and its values tier.
func sharedTier(t *testing.T) (string, *memTier) {
	url := fmt.Sprintf("memtier://%s/%d", t.Name(), tierSeq.Add(1))
	v, _, err := driver.OpenTier(url, driver.TierOptions{})
	require.NoError(t, err)
	return url, v.(*memTier)
}

func sharedCfg(url string) s1crets.CacheConfig {
	return s1crets.CacheConfig{RedisURL: url, RedisPlaintext: true}
}

// 1. Identity: an entry written under one identity is never served to another.
func TestContractIdentity(t *testing.T) {
	ctx := context.Background()
	url, tier := sharedTier(t)

	a := newFakeStore(map[string]string{"/db": "secret-of-account-a"})
	ca := open(t, a, sharedCfg(url))
	v, err := ca.Get(ctx, "/db")
	require.NoError(t, err)
	assert.Equal(t, "secret-of-account-a", v.Text())

	// Another identity over the same shared tier: its own read, its own value.
	b := newFakeStore(map[string]string{"/db": "secret-of-account-b"})
	b.id = "acct-2|user/b"
	cb := open(t, b, sharedCfg(url))
	v, err = cb.Get(ctx, "/db")
	require.NoError(t, err)
	assert.Equal(t, "secret-of-account-b", v.Text())
	assert.EqualValues(t, 1, b.gets.Load(), "the other identity asked its own store")

	// The same identity in another process shares the entry.
	a2 := newFakeStore(map[string]string{"/db": "never-read"})
	ca2 := open(t, a2, sharedCfg(url))
	v, err = ca2.Get(ctx, "/db")
	require.NoError(t, err)
	assert.Equal(t, "secret-of-account-a", v.Text())
	assert.EqualValues(t, 0, a2.gets.Load())
	assert.EqualValues(t, 1, a2.ids.Load(), "the identity is asked once per client")
	_, err = ca2.Get(ctx, "/other")
	require.ErrorIs(t, err, s1crets.ErrNotFound)
	assert.EqualValues(t, 1, a2.ids.Load())

	// An identity that cannot be learned: the tiers are skipped, not shared.
	u := newFakeStore(map[string]string{"/db": "secret-of-unknown"})
	u.idErr = errors.New("sts: access denied")
	putsBefore := tier.puts
	cu := open(t, u, sharedCfg(url))
	clk := s1crets.NewFakeClock()
	s1crets.SetClock(cu, clk)
	v, err = cu.Get(ctx, "/db")
	require.NoError(t, err)
	assert.Equal(t, "secret-of-unknown", v.Text())
	assert.Equal(t, putsBefore, tier.puts, "nothing written without an identity")
	_, err = cu.Get(ctx, "/db", s1crets.NoCache())
	require.NoError(t, err)
	assert.EqualValues(t, 1, u.ids.Load(), "a failed identity is not asked again on every read...")
	clk.Advance(61 * time.Second)
	_, err = cu.Get(ctx, "/db", s1crets.NoCache())
	require.NoError(t, err)
	assert.EqualValues(t, 2, u.ids.Load(), "...but after a cool-down")
	for _, n := range tier.names() {
		assert.NotContains(t, n, "secret", "tier names hold no value")
	}
}

// 2. Read-your-writes: once Update returns, every later read in the
// process returns the new value, even when a read was in flight.
func TestContractReadYourWrites(t *testing.T) {
	ctx := context.Background()
	url, _ := sharedTier(t)
	s := newFakeStore(map[string]string{"/db": "old"})
	c := open(t, s, sharedCfg(url))
	release := inFlight(t, s, c, "/db") // it read "old"
	require.NoError(t, c.Update(ctx, "/db", "new"))
	release()

	v, err := c.Get(ctx, "/db")
	require.NoError(t, err)
	assert.Equal(t, "new", v.Text())
	assert.EqualValues(t, 2, s.gets.Load(), "the read after Update did not join the older fetch")
}

// 2b. ... and a fetch that started before the Update, in any process, never
// writes its older result into a shared tier afterwards: a fresh process
// reads the new value.
func TestContractReadYourWritesAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	url, _ := sharedTier(t)
	s := newFakeStore(map[string]string{"/db": "old"})
	reader := open(t, s, sharedCfg(url))
	release := inFlight(t, s, reader, "/db") // it read "old"

	updater := open(t, s, sharedCfg(url)) // another process: same store and identity
	require.NoError(t, updater.Update(ctx, "/db", "new"))
	release() // the reader's fetch lands after the Update

	fresh := newFakeStore(map[string]string{"/db": "new"})
	v, err := open(t, fresh, sharedCfg(url)).Get(ctx, "/db")
	require.NoError(t, err)
	assert.Equal(t, "new", v.Text(), "a fresh process reading through the shared tier")
	v, err = updater.Get(ctx, "/db")
	require.NoError(t, err)
	assert.Equal(t, "new", v.Text(), "the updating process")
}

// inFlight starts a Get of name on c that waits inside the store (having
// read the store's current value), and returns a function that lets it
// answer and waits until the reader has its result.
func inFlight(t *testing.T, s *fakeStore, c *s1crets.Client, name string) (release func()) {
	t.Helper()
	gate, done := make(chan struct{}), make(chan struct{})
	s.mu.Lock()
	s.gate, s.entered = gate, make(chan struct{}, 1)
	entered := s.entered
	s.mu.Unlock()
	go func() {
		defer close(done)
		_, _ = c.Get(context.Background(), name)
	}()
	<-entered
	s.mu.Lock()
	s.gate, s.entered = nil, nil // later reads do not wait
	s.mu.Unlock()
	return func() {
		close(gate)
		<-done
	}
}

// 3. NoCache always asks the store, and refreshes every tier.
func TestContractNoCache(t *testing.T) {
	ctx := context.Background()
	url, _ := sharedTier(t)
	s := newFakeStore(map[string]string{"/db": "v1"})
	c := open(t, s, sharedCfg(url))
	_, err := c.Get(ctx, "/db")
	require.NoError(t, err)
	s.set("/db", "v2") // changed behind the cache's back

	v, err := c.Get(ctx, "/db", s1crets.NoCache())
	require.NoError(t, err)
	assert.Equal(t, "v2", v.Text())
	assert.EqualValues(t, 2, s.gets.Load())

	// The memory of this client and the shared tier hold the fresh value.
	v, err = c.Get(ctx, "/db")
	require.NoError(t, err)
	assert.Equal(t, "v2", v.Text())
	fresh := newFakeStore(map[string]string{"/db": "never-read"})
	v, err = open(t, fresh, sharedCfg(url)).Get(ctx, "/db")
	require.NoError(t, err)
	assert.Equal(t, "v2", v.Text())
	assert.EqualValues(t, 0, fresh.gets.Load())

	// A fresh client with an entry in the shared tier: NoCache still asks.
	s2 := newFakeStore(map[string]string{"/db": "v3"})
	v, err = open(t, s2, sharedCfg(url)).Get(ctx, "/db", s1crets.NoCache())
	require.NoError(t, err)
	assert.Equal(t, "v3", v.Text())
	assert.EqualValues(t, 1, s2.gets.Load())
}

// 4. Bounded: no read waits past its context, and no shared fetch runs
// without a deadline; a stalled answer does not wedge the secret.
func TestContractBounded(t *testing.T) {
	ctx := context.Background()
	s := newFakeStore(map[string]string{"/db": "v"})
	s.gate, s.entered = make(chan struct{}), make(chan struct{}, 4) // never opened: a stall
	c := open(t, s, s1crets.CacheConfig{}, s1crets.Retry(1), s1crets.Timeout(time.Millisecond))

	rctx, cancel := context.WithCancel(ctx)
	go func() { <-s.entered; cancel() }()
	_, err := c.Get(rctx, "/db")
	require.ErrorIs(t, err, context.Canceled, "the reader returned at its own context")
	assert.True(t, s.sawDeadline.Load(), "the shared fetch runs under a deadline")

	// The stalled fetch ends at its deadline; the next read asks again.
	s.mu.Lock()
	s.gate = nil
	s.mu.Unlock()
	require.Eventually(t, func() bool {
		v, err := c.Get(ctx, "/db")
		return err == nil && v.Text() == "v"
	}, time.Minute, 10*time.Millisecond)
	assert.EqualValues(t, 2, s.gets.Load(), "one stalled request, then one new request")
}

// 5. Freshness: no value is served more than TTL after the store answered
// it, whichever tier it came through.
func TestContractFreshness(t *testing.T) {
	ctx := context.Background()
	url, _ := sharedTier(t)
	cfg := sharedCfg(url)
	cfg.TTL = 10 * time.Minute

	clk := s1crets.NewFakeClock()
	a := newFakeStore(map[string]string{"/db": "v1"})
	ca := open(t, a, cfg)
	s1crets.SetClock(ca, clk)
	_, err := ca.Get(ctx, "/db")
	require.NoError(t, err)

	// Another process reads it from the tier 6 minutes later: it may serve
	// it for 4 more minutes, not 10.
	clk2 := s1crets.NewFakeClock()
	clk2.Advance(6 * time.Minute)
	b := newFakeStore(map[string]string{"/db": "v2"})
	cb := open(t, b, cfg)
	s1crets.SetClock(cb, clk2)
	v, err := cb.Get(ctx, "/db")
	require.NoError(t, err)
	assert.Equal(t, "v1", v.Text())
	assert.EqualValues(t, 0, b.gets.Load())

	clk2.Advance(3*time.Minute + 59*time.Second)
	v, _ = cb.Get(ctx, "/db")
	assert.Equal(t, "v1", v.Text(), "still within TTL of the first fetch")
	clk2.Advance(2 * time.Second)
	v, err = cb.Get(ctx, "/db")
	require.NoError(t, err)
	assert.Equal(t, "v2", v.Text(), "TTL after the store answered: asked again")
	assert.EqualValues(t, 1, b.gets.Load())

	// Listings too.
	clk3 := s1crets.NewFakeClock()
	c3 := open(t, a, cfg)
	s1crets.SetClock(c3, clk3)
	_, err = c3.GetByPath(ctx, "/")
	require.NoError(t, err)
	clk4 := s1crets.NewFakeClock()
	clk4.Advance(9 * time.Minute)
	d := newFakeStore(map[string]string{"/db": "v4"})
	cd := open(t, d, cfg)
	s1crets.SetClock(cd, clk4)
	m, err := cd.GetByPath(ctx, "/")
	require.NoError(t, err)
	assert.Equal(t, "v1", m["/db"].Text())
	clk4.Advance(61 * time.Second)
	m, err = cd.GetByPath(ctx, "/")
	require.NoError(t, err)
	assert.Equal(t, "v4", m["/db"].Text())

	// A clock stepped back does not make an entry young again.
	clk5 := s1crets.NewFakeClock()
	clk5.Advance(-time.Hour)
	e := newFakeStore(map[string]string{"/db": "v5"})
	ce := open(t, e, cfg)
	s1crets.SetClock(ce, clk5)
	v, err = ce.Get(ctx, "/db")
	require.NoError(t, err)
	assert.Equal(t, "v5", v.Text(), "an entry fetched in this reader's future is not served")
}

// 5b. MaxStale extends freshness only while the store fails transiently,
// and the value says it is stale.
func TestContractMaxStale(t *testing.T) {
	ctx := context.Background()
	s := newFakeStore(map[string]string{"/db": "v1", "/gone": "x"})
	c := open(t, s, s1crets.CacheConfig{TTL: time.Minute, MaxStale: 10 * time.Minute})
	clk := s1crets.NewFakeClock()
	s1crets.SetClock(c, clk)
	_, err := c.Get(ctx, "/db")
	require.NoError(t, err)

	clk.Advance(2 * time.Minute)
	s.mu.Lock()
	s.failing = errTransient
	s.mu.Unlock()
	v, err := c.Get(ctx, "/db")
	require.NoError(t, err)
	assert.Equal(t, "v1", v.Text())
	assert.True(t, v.Stale())

	clk.Advance(10 * time.Minute)
	_, err = c.Get(ctx, "/db")
	require.ErrorIs(t, err, errTransient, "past MaxStale the failure shows")

	s.mu.Lock()
	s.failing = errors.New("access denied (not transient)")
	s.mu.Unlock()
	clk2 := s1crets.NewFakeClock()
	c2 := open(t, s, s1crets.CacheConfig{TTL: time.Minute, MaxStale: 10 * time.Minute})
	s1crets.SetClock(c2, clk2)
	_, err = c2.Get(ctx, "/db")
	require.Error(t, err)
}

// 6. Exact keys: a cached entry answers exactly what was asked, and an
// Update invalidates every cached form of the secret.
func TestContractExactKeys(t *testing.T) {
	ctx := context.Background()
	url, _ := sharedTier(t)
	s := newFakeStore(map[string]string{"/a": "current"})
	s.aliases["/a:1"] = "/a"
	s.pinned["/a:1"] = "version-1"
	s.aliases["arn:fake:parameter/a"] = "/a"
	c := open(t, s, sharedCfg(url))

	m, err := c.GetMany(ctx, []string{"/a:1"})
	require.NoError(t, err)
	assert.Equal(t, "version-1", m.Values["/a:1"].Text())
	v, err := c.Get(ctx, "/a")
	require.NoError(t, err)
	assert.Equal(t, "current", v.Text(), "a version read is not served for the name")
	v, err = c.Get(ctx, "arn:fake:parameter/a")
	require.NoError(t, err)
	assert.Equal(t, "current", v.Text())

	// A fresh process does not find the version under the bare name in the
	// shared tier either.
	fresh := newFakeStore(map[string]string{"/a": "current"})
	v, err = open(t, fresh, sharedCfg(url)).Get(ctx, "/a")
	require.NoError(t, err)
	assert.Equal(t, "current", v.Text())

	require.NoError(t, c.Update(ctx, "/a", "updated"))
	v, err = c.Get(ctx, "arn:fake:parameter/a")
	require.NoError(t, err)
	assert.Equal(t, "updated", v.Text(), "a read by ARN after an Update by name")
	delete(s.pinned, "/a:1")
	v, err = c.Get(ctx, "/a:1")
	require.NoError(t, err)
	assert.Equal(t, "updated", v.Text(), "every cached form was dropped")

	// And an Update by ARN drops the name.
	_, err = c.Get(ctx, "/a")
	require.NoError(t, err)
	require.NoError(t, c.Update(ctx, "arn:fake:parameter/a", "by-arn"))
	v, err = c.Get(ctx, "/a")
	require.NoError(t, err)
	assert.Equal(t, "by-arn", v.Text())
}

// 7. Failures are told: a store write that landed with a tier that could
// not be invalidated is an error that says so.
func TestContractUpdateTierFailure(t *testing.T) {
	ctx := context.Background()
	url, tier := sharedTier(t)
	s := newFakeStore(map[string]string{"/db": "v1"})
	c := open(t, s, sharedCfg(url))
	_, err := c.Get(ctx, "/db")
	require.NoError(t, err)

	tier.mu.Lock()
	tier.failDel = true
	tier.mu.Unlock()
	err = c.Update(ctx, "/db", "s3cret-new-value")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the store holds the new value")
	assert.NotContains(t, err.Error(), "s3cret-new-value")
	var e *s1crets.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "update", e.Op)

	// This process reads the new value all the same.
	v, err := c.Get(ctx, "/db")
	require.NoError(t, err)
	assert.Equal(t, "s3cret-new-value", v.Text())
}

// 7b. A tier that is down costs one call per cool-down, not one per read,
// and never changes a result.
func TestContractTierDownOncePerCoolDown(t *testing.T) {
	ctx := context.Background()
	url, tier := sharedTier(t)
	cfg := sharedCfg(url)
	cfg.TierCoolDown = 30 * time.Second
	values := map[string]string{}
	for i := range 100 {
		values[fmt.Sprintf("/k/%d", i)] = "v"
	}
	s := newFakeStore(values)
	c := open(t, s, cfg)
	clk := s1crets.NewFakeClock()
	s1crets.SetClock(c, clk)
	tier.mu.Lock()
	tier.down = true
	tier.mu.Unlock()
	for i := range 50 {
		v, err := c.Get(ctx, fmt.Sprintf("/k/%d", i))
		require.NoError(t, err)
		assert.Equal(t, "v", v.Text())
	}
	tier.mu.Lock()
	calls := tier.calls
	tier.mu.Unlock()
	assert.Equal(t, 1, calls, "50 misses with the tier down: it was tried once")
	assert.EqualValues(t, 50, s.gets.Load())

	clk.Advance(31 * time.Second)
	for i := 50; i < 100; i++ {
		_, err := c.Get(ctx, fmt.Sprintf("/k/%d", i))
		require.NoError(t, err)
	}
	tier.mu.Lock()
	assert.Equal(t, 2, tier.calls, "after the cool-down, one probe")
	tier.down = false
	tier.mu.Unlock()

	// An Update while the tier is skipped says that it could not invalidate.
	clk.Advance(time.Second)
	tier.mu.Lock()
	tier.down = true
	tier.mu.Unlock()
	err := c.Update(ctx, "/k/1", "w")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "could not be invalidated")

	// Back up after the cool-down: used again.
	tier.mu.Lock()
	tier.down = false
	tier.mu.Unlock()
	clk.Advance(31 * time.Second)
	_, err = c.Get(ctx, "/k/99", s1crets.NoCache())
	require.NoError(t, err)
	tier.mu.Lock()
	puts := tier.puts
	tier.mu.Unlock()
	assert.Positive(t, puts, "the tier is written again")
}

// Every read route goes through the pipeline: concurrent Get, GetMany and
// the refresh-ahead of one key make one remote call.
func TestContractOneRouteSingleFlight(t *testing.T) {
	ctx := context.Background()
	s := newFakeStore(map[string]string{"/db": "v"})
	c := open(t, s, s1crets.CacheConfig{})
	s.gate, s.entered = make(chan struct{}), make(chan struct{}, 8)

	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				_, err := c.Get(ctx, "/db")
				errs <- err
				return
			}
			m, err := c.GetMany(ctx, []string{"/db"})
			if err == nil {
				err = m.Err()
			}
			errs <- err
		}()
	}
	<-s.entered
	// Let every reader reach the flight before it ends: they either join
	// it or hit the cache after it, never a second request.
	close(s.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, s.gets.Load())
}
