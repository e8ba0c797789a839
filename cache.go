package s1crets

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/puzpuzpuz/xsync/v4"

	"github.com/s1crets/s1crets/driver"
)

// clock is the time source of a cache; tests replace it to move time.
type clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) stopper
}

type stopper interface{ Stop() bool }

type systemClock struct{}

func (systemClock) Now() time.Time                              { return time.Now() }
func (systemClock) AfterFunc(d time.Duration, f func()) stopper { return time.AfterFunc(d, f) }

// cacheKey identifies a cached result: the path as asked and every setting
// that changes what the store returns, as a small number (see variantOf).
type cacheKey struct {
	path    string
	variant uint32
}

func keyOf(path string, q driver.Query) cacheKey { return cacheKey{path, variantOf(q)} }

// variants numbers the Queries seen by this process; the default Query is 0.
var variants = struct {
	mu   sync.RWMutex // guards ids and list
	ids  map[driver.Query]uint32
	list []driver.Query
}{ids: map[driver.Query]uint32{driver.DefaultQuery(): 0}, list: []driver.Query{driver.DefaultQuery()}}

var defaultQuery = driver.DefaultQuery()

func variantOf(q driver.Query) uint32 {
	if q == defaultQuery {
		return 0
	}
	variants.mu.RLock()
	id, ok := variants.ids[q]
	variants.mu.RUnlock()
	if ok {
		return id
	}
	variants.mu.Lock()
	defer variants.mu.Unlock()
	if id, ok = variants.ids[q]; !ok {
		id = uint32(len(variants.list))
		variants.ids[q] = id
		variants.list = append(variants.list, q)
	}
	return id
}

// entry is a cached result. Its expiry is a stored deadline, and a timer
// of the cache's clock sets expired when the deadline passes, so that a
// hit reads a flag instead of a clock (a clock read costs as much as the
// rest of a hit on some virtual machines).
type entry[V any] struct {
	v        V
	fetched  time.Time // when the store answered, by the cache's clock
	deadline time.Time // fetched + TTL (less jitter): not served after it

	expired    atomic.Bool
	due        atomic.Bool   // in the refresh-ahead window
	refreshing atomic.Bool   // a background refresh was started
	touched    atomic.Uint64 // the cache's insert count when the entry last moved to the front
	timer      stopper
	dueTimer   stopper // nil without refresh-ahead
}

func (e *entry[V]) stop() {
	e.timer.Stop()
	if e.dueTimer != nil {
		e.dueTimer.Stop()
	}
}

// hitKind is the result of a cache read.
type hitKind uint8

const (
	miss   hitKind = iota
	hitOK          // a fresh entry
	hitDue         // a fresh entry in its refresh-ahead window: the caller refreshes it
)

// lruMap is one LRU+TTL cache: a concurrent map per variant for lock-free
// hits, beside a golang-lru list that decides what is evicted. Writes (under
// memCache.mu) change both in O(1); a hit reads one map.
type lruMap[V any] struct {
	index atomic.Pointer[[]*xsync.Map[string, *entry[V]]] // by variant
	lru   *lru.Cache[cacheKey, *entry[V]]
	last  cacheKey // the key the eviction callback saw last (under memCache.mu)
}

func newLRUMap[V any](size int) *lruMap[V] {
	m := &lruMap[V]{}
	m.index.Store(&[]*xsync.Map[string, *entry[V]]{})
	// The eviction callback runs inside lru.Add and lru.Remove, under
	// memCache.mu.
	m.lru, _ = lru.NewWithEvict(size, func(k cacheKey, e *entry[V]) { // size > 0
		m.last = k
		e.stop()
		if idx := m.indexFor(k.variant, false); idx != nil {
			idx.Delete(k.path)
		}
	})
	return m
}

// removeAll removes every variant of paths. Call with memCache.mu held.
func (m *lruMap[V]) removeAll(paths map[string]struct{}) {
	nvariants := len(*m.index.Load())
	for p := range paths {
		for v := range nvariants {
			m.lru.Remove(cacheKey{p, uint32(v)})
		}
	}
}

// absentsOrNil keeps a nil *lruMap from becoming a non-nil interface.
func absentsOrNil(m *lruMap[error]) interface{ removeAll(map[string]struct{}) } {
	if m == nil {
		return nil
	}
	return m
}

// indexFor returns the map of one variant, creating it (under
// memCache.mu) when create is set.
func (m *lruMap[V]) indexFor(variant uint32, create bool) *xsync.Map[string, *entry[V]] {
	idx := *m.index.Load()
	if int(variant) < len(idx) && idx[variant] != nil {
		return idx[variant]
	}
	if !create {
		return nil
	}
	grown := make([]*xsync.Map[string, *entry[V]], max(len(idx), int(variant)+1))
	copy(grown, idx)
	grown[variant] = xsync.NewMap[string, *entry[V]]()
	m.index.Store(&grown)
	return grown[variant]
}

func (m *lruMap[V]) load(k cacheKey) (*entry[V], bool) {
	idx := *m.index.Load()
	if int(k.variant) >= len(idx) || idx[k.variant] == nil {
		return nil, false
	}
	return idx[k.variant].Load(k.path)
}

// memCache is the in-memory cache of one provider: values and listings. It
// is safe for concurrent use and runs no goroutine of its own: an entry's
// expiry is a timer of the clock, stopped when the entry leaves.
type memCache struct {
	ttl          time.Duration
	refreshAhead time.Duration
	jitter       time.Duration
	maxStale     time.Duration
	clock        clock
	values       *lruMap[Value] // nil when disabled
	lists        *lruMap[map[string]Value]
	absents      *lruMap[error] // secrets the store said do not exist; nil without NegativeTTL
	negativeTTL  time.Duration

	// A hit moves the entry to the front of its LRU only when half the
	// cache's size of entries were inserted since it last moved: an entry
	// read at least that often is never evicted, and hits of one hot key
	// from many goroutines take no lock at all.
	inserts      atomic.Uint64
	promoteAfter uint64

	// gen counts invalidations. A fetch that started before an invalidation
	// does not store its (possibly old) result, and a read after Update never
	// joins a fetch that started before it.
	gen atomic.Uint64

	// hits counts the reads that memory answered, when countHits is set
	// (an atomic add costs as much as half a hit); evictions counts the
	// entries that a store dropped to make room.
	countHits bool
	hits      hitCounter
	evictions atomic.Uint64

	// mu serialises stores and invalidations, so that a store cannot slip
	// in between a generation check and an invalidation; it guards aliases
	// and evicted.
	mu sync.Mutex
	// onEvict, when set, receives the evicted entries after a store,
	// outside mu; evicted collects them meanwhile.
	onEvict func(path string, list bool)
	evicted []evictedKey
	// aliases maps a secret's own name (driver.Secret.Name) to the other
	// paths it was read by (an ARN, a version selector), so that an Update
	// by any of them drops all of them; canonicals maps those paths back.
	aliases    map[string]map[string]struct{}
	canonicals map[string]string
}

func newMemCache(cfg CacheConfig, clk clock) *memCache {
	c := &memCache{ttl: cfg.TTL, refreshAhead: cfg.RefreshAhead, jitter: cfg.Jitter, maxStale: cfg.MaxStale, clock: clk,
		aliases: map[string]map[string]struct{}{}, canonicals: map[string]string{}, negativeTTL: cfg.NegativeTTL}
	if cfg.Disabled {
		return c
	}
	c.promoteAfter = uint64(max(cfg.Size/2, 1))
	c.values = newLRUMap[Value](cfg.Size)
	c.lists = newLRUMap[map[string]Value](cfg.Size)
	if cfg.NegativeTTL > 0 {
		c.absents = newLRUMap[error](cfg.Size)
	}
	return c
}

func (c *memCache) generation() uint64 { return c.gen.Load() }

// value returns a fresh cached value. A hit is a map lookup and a few atomic
// loads: no allocation, no clock, no lock.
func (c *memCache) value(k cacheKey) (Value, hitKind) {
	if c.values == nil {
		return Value{}, miss
	}
	return hit(c, c.values, k)
}

func (c *memCache) list(k cacheKey) (map[string]Value, hitKind) {
	if c.lists == nil {
		return nil, miss
	}
	return hit(c, c.lists, k)
}

func hit[V any](c *memCache, m *lruMap[V], k cacheKey) (V, hitKind) {
	e, ok := m.load(k)
	if !ok || e.expired.Load() {
		var zero V
		return zero, miss
	}
	if c.countHits {
		c.hits.add()
	}
	now := c.inserts.Load()
	if last := e.touched.Load(); now-last >= c.promoteAfter && e.touched.CompareAndSwap(last, now) {
		m.lru.Get(k) // moves it to the front
	}
	if e.due.Load() && e.refreshing.CompareAndSwap(false, true) {
		return e.v, hitDue
	}
	return e.v, hitOK
}

// live returns the entry of k in m while it has not expired, without side
// effects; m may be nil (a cache that is disabled or not configured).
func live[V any](m *lruMap[V], k cacheKey) (*entry[V], bool) {
	if m == nil {
		return nil, false
	}
	e, ok := m.load(k)
	if !ok || e.expired.Load() {
		return nil, false
	}
	return e, true
}

// youngEntry reports whether the store answered e at most age ago.
func youngEntry[V any](c *memCache, e *entry[V], age time.Duration) bool {
	return age > 0 && c.clock.Now().Sub(e.fetched) <= age
}

// fresh returns a fresh cached value without side effects.
func (c *memCache) fresh(k cacheKey) (Value, bool) {
	e, ok := live(c.values, k)
	if !ok {
		return Value{}, false
	}
	return e.v, true
}

func (c *memCache) freshList(k cacheKey) (map[string]Value, bool) {
	e, ok := live(c.lists, k)
	if !ok {
		return nil, false
	}
	return e.v, true
}

// youngValue returns a fresh cached value of k that the store answered at
// most age ago (MaxAge).
func (c *memCache) youngValue(k cacheKey, age time.Duration) (Value, bool) {
	e, ok := live(c.values, k)
	if !ok || !youngEntry(c, e, age) {
		return Value{}, false
	}
	return e.v, true
}

func (c *memCache) youngList(k cacheKey, age time.Duration) (map[string]Value, bool) {
	e, ok := live(c.lists, k)
	if !ok || !youngEntry(c, e, age) {
		return nil, false
	}
	return e.v, true
}

// absent returns the remembered not-found error of k (see
// CacheConfig.NegativeTTL).
func (c *memCache) absent(k cacheKey) (error, bool) {
	e, ok := live(c.absents, k)
	if !ok {
		return nil, false
	}
	return e.v, true
}

// storeAbsent remembers for NegativeTTL that the store said k does not
// exist, unless an invalidation happened since gen was read.
func (c *memCache) storeAbsent(gen uint64, k cacheKey, err error) {
	if c.absents == nil {
		return
	}
	c.mu.Lock()
	defer c.unlock()
	if c.gen.Load() != gen {
		return
	}
	now := c.clock.Now()
	e := &entry[error]{v: err, fetched: now, deadline: now.Add(c.negativeTTL)}
	e.timer = c.clock.AfterFunc(c.negativeTTL, func() { e.expired.Store(true) })
	add(c, c.absents, k, e)
}

// canonical returns the store's own name of path when path was read as
// another form (an ARN, a version selector); "" when unknown.
func (c *memCache) canonical(path string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.canonicals[path]
}

// stale returns an expired value of k that is at most MaxStale past its
// deadline, marked stale.
func (c *memCache) stale(k cacheKey) (Value, bool) {
	if c.values == nil || c.maxStale <= 0 {
		return Value{}, false
	}
	e, ok := c.values.load(k)
	if !ok || c.clock.Now().After(e.deadline.Add(c.maxStale)) {
		return Value{}, false
	}
	v := e.v
	v.stale = true
	return v, true
}

// lifetime is how long a result that the store answered at fetched may
// still be served: the TTL (less a random jitter) from fetched.
func (c *memCache) lifetime(fetched time.Time) time.Duration {
	ttl := c.ttl
	if c.jitter > 0 {
		ttl -= rand.N(c.jitter)
	}
	return ttl - c.clock.Now().Sub(fetched)
}

// newEntry makes an entry that the store answered at fetched. Call with mu
// held.
func newEntry[V any](c *memCache, v V, fetched time.Time, life time.Duration) *entry[V] {
	e := &entry[V]{v: v, fetched: fetched, deadline: c.clock.Now().Add(life)}
	e.touched.Store(c.inserts.Add(1))
	e.timer = c.clock.AfterFunc(life, func() { e.expired.Store(true) })
	if c.refreshAhead > 0 {
		e.dueTimer = c.clock.AfterFunc(max(life-c.refreshAhead, 0), func() { e.due.Store(true) })
	}
	return e
}

// add stores e under k, replacing (and stopping) the entry there. Call with
// mu held.
func add[V any](c *memCache, m *lruMap[V], k cacheKey, e *entry[V]) {
	if old, ok := m.lru.Peek(k); ok {
		old.stop()
	}
	m.indexFor(k.variant, true).Store(k.path, e)
	if m.lru.Add(k, e) {
		c.evictions.Add(1)
		if c.onEvict != nil {
			c.evicted = append(c.evicted, evictedKey{m.last.path, any(m) == any(c.lists)})
		}
	}
}

// evictedKey is an entry that a store evicted.
type evictedKey struct {
	path string
	list bool
}

// unlock releases mu and reports the evictions of the store that held it.
func (c *memCache) unlock() {
	ev := c.evicted
	c.evicted = nil
	c.mu.Unlock()
	for _, e := range ev {
		c.onEvict(e.path, e.list)
	}
}

// storeValue caches v, that the store answered at fetched under the name
// canonical, unless an invalidation happened since gen was read or its
// lifetime is over.
func (c *memCache) storeValue(gen uint64, k cacheKey, v Value, canonical string, fetched time.Time) {
	if c.values == nil {
		return
	}
	life := c.lifetime(fetched)
	if life <= 0 {
		return
	}
	c.mu.Lock()
	defer c.unlock()
	if c.gen.Load() != gen {
		return
	}
	add(c, c.values, k, newEntry(c, v, fetched, life))
	if canonical != "" && canonical != k.path {
		a := c.aliases[canonical]
		if a == nil {
			a = map[string]struct{}{}
			c.aliases[canonical] = a
		}
		a[k.path] = struct{}{}
		c.canonicals[k.path] = canonical
	}
}

// storeList caches a listing, and each of its values under the Query that
// a Get of that name would use, so that a Get after GetByPath is free.
func (c *memCache) storeList(gen uint64, k cacheKey, m map[string]Value, single driver.Query, fetched time.Time) {
	if c.lists == nil {
		return
	}
	life := c.lifetime(fetched)
	if life <= 0 {
		return
	}
	c.mu.Lock()
	defer c.unlock()
	if c.gen.Load() != gen {
		return
	}
	add(c, c.lists, k, newEntry(c, m, fetched, life))
	sv := variantOf(single)
	for name, v := range m {
		add(c, c.values, cacheKey{name, sv}, newEntry(c, v, fetched, life))
	}
}

// invalidate drops every cached variant of names and of their aliases, and
// every cached listing.
func (c *memCache) invalidate(names ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	if c.values == nil {
		return
	}
	paths := map[string]struct{}{}
	for _, n := range names {
		if n == "" {
			continue
		}
		paths[n] = struct{}{}
		for a := range c.aliases[n] {
			paths[a] = struct{}{}
			delete(c.canonicals, a)
		}
		delete(c.aliases, n)
	}
	for _, m := range []interface{ removeAll(map[string]struct{}) }{c.values, absentsOrNil(c.absents)} {
		if m != nil {
			m.removeAll(paths)
		}
	}
	c.lists.lru.Purge()
}

// purge drops everything and stops every timer.
func (c *memCache) purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	if c.values != nil {
		c.values.lru.Purge()
		c.lists.lru.Purge()
		if c.absents != nil {
			c.absents.lru.Purge()
		}
	}
	clear(c.aliases)
	clear(c.canonicals)
}

// len returns the number of cached values and listings.
func (c *memCache) len() (values, lists int) {
	if c.values == nil {
		return 0, 0
	}
	return c.values.lru.Len(), c.lists.lru.Len()
}
