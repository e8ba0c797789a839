package s1crets

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// CacheConfig configures a provider's cache, as the original's cache_args.
// The zero value means the defaults: 1000 entries and 15 minutes.
//
// Each provider has two caches of Size entries, each evicting the least
// recently used entry when full: one for single values (Get) and one for
// path listings (GetByPath). The cache key holds every option
// that changes what the store returns (Decrypt, Recursive, VersionStage,
// VersionID, FailOnError) but not the key path: key paths are looked up
// after the cache, so one fetch serves every key path of a secret.
type CacheConfig struct {
	Size     int           // entries in each cache; 0 means DefaultCacheSize
	TTL      time.Duration // time an entry is served; 0 means DefaultCacheTTL
	Disabled bool          // no caching at all: every read is a remote call

	// RefreshAhead, when positive, refreshes an entry in the background,
	// once, when it is read in the last RefreshAhead of its TTL: hot
	// secrets are never waited for. It must be less than the TTL.
	RefreshAhead time.Duration

	// Jitter, when positive, takes a random duration of up to Jitter off
	// each entry's TTL, so that a fleet of processes that started together
	// does not refresh in lock-step. It must be less than the TTL.
	Jitter time.Duration

	// MaxStale, when positive, serves an expired value for up to MaxStale
	// past its expiry when the refresh fails for a transient reason
	// (throttling, a 5xx answer, a network error or timeout), never when
	// the secret is gone or access is denied. Such a value reports
	// Value.Stale() == true.
	MaxStale time.Duration

	// OnDisk keeps entries on disk too, as the original's cache_on_disk:
	// shared by the processes of a machine and across runs, expiring with
	// the TTL. Directories are created 0700 and files 0600; a directory
	// that others can write to is refused. Without an EncryptionKey (or
	// S1CRETS_CACHE_KEY) the disk holds the secrets in plain text.
	OnDisk         bool
	KeyCacheDir    string // single values; default os.UserCacheDir()/s1crets/keys
	PathCacheDir   string // path listings; default os.UserCacheDir()/s1crets/paths
	DiskMaxEntries int    // per directory, oldest evicted first; 0 means 10000

	// EncryptionKey (32 bytes, base64) seals the entries of the disk and
	// Redis tiers with AES-256-GCM; empty means the S1CRETS_CACHE_KEY
	// environment variable. A wrong key is a miss and a refetch.
	EncryptionKey CacheKey

	// RedisURL enables the shared tier on Redis or Valkey: "host:port" or
	// a redis:// or rediss:// (TLS) URL with user, password and database
	// as go-redis parses them. Order: memory, disk, Redis, then the store;
	// a fetched value is written to every tier. A fleet of processes that
	// miss one secret at once fetches it from the store once: one process
	// takes a short lock in Redis and fetches, the others wait up to
	// RedisLockWait for its value. Entries are encrypted: an EncryptionKey
	// (or S1CRETS_CACHE_KEY) is required unless RedisPlaintext opts out.
	// Redis being down, slow or returning garbage only skips the tier.
	RedisURL       string
	RedisPrefix    string        // key prefix; default "s1crets:"
	RedisPlaintext bool          // store entries unencrypted in Redis (not recommended)
	RedisTimeout   time.Duration // bound of each Redis operation; default 250ms
	RedisLockWait  time.Duration // how long to wait for another process's fetch; default 3s
}

// Defaults of CacheConfig.
const (
	DefaultCacheSize = 1000
	DefaultCacheTTL  = 15 * time.Minute
)

// Validate reports a negative size or TTL.
func (c CacheConfig) Validate() error {
	if c.Size < 0 {
		return invalidf("cache size %d: the size must be positive (0 means the default, %d entries)", c.Size, DefaultCacheSize)
	}
	if c.TTL < 0 {
		return invalidf("cache TTL %v: the TTL must be positive (0 means the default, %v)", c.TTL, DefaultCacheTTL)
	}
	ttl := c.TTL
	if ttl == 0 {
		ttl = DefaultCacheTTL
	}
	if c.RefreshAhead < 0 || c.RefreshAhead >= ttl {
		return invalidf("cache RefreshAhead %v: it must be between 0 and the TTL (%v)", c.RefreshAhead, ttl)
	}
	if c.Jitter < 0 || c.Jitter >= ttl {
		return invalidf("cache Jitter %v: it must be between 0 and the TTL (%v)", c.Jitter, ttl)
	}
	if c.MaxStale < 0 {
		return invalidf("cache MaxStale %v: it must be positive (0 means never serve an expired value)", c.MaxStale)
	}
	return c.validateTiers()
}

// cacheKey identifies a cached result: the path and every setting that
// changes what the store returns, as a small number (see variantOf) that
// hashes faster than the Query itself.
type cacheKey struct {
	path    string
	variant uint32
}

func keyOf(path string, q Query) cacheKey { return cacheKey{path, variantOf(q)} }

// variants numbers the Queries seen by this process; DefaultQuery is 0.
var variants = struct {
	mu  sync.RWMutex // guards ids
	ids map[Query]uint32
}{ids: map[Query]uint32{DefaultQuery: 0}}

func variantOf(q Query) uint32 {
	if q == DefaultQuery {
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
		id = uint32(len(variants.ids))
		variants.ids[q] = id
	}
	return id
}

type entry[V any] struct {
	v     V
	state *entryState
}

// entryState is the mutable part of an entry. Expiry is a timer that sets
// expired, so a cache hit reads no clock (a clock read costs more than the
// rest of a hit on some virtual machines).
type entryState struct {
	expired    atomic.Bool
	due        atomic.Bool   // in the refresh-ahead window
	refreshing atomic.Bool   // a background refresh was started
	touched    atomic.Uint64 // the cache's insert count when the entry last moved to the front
	expires    time.Time
	timer      stopper
	dueTimer   stopper // nil without refresh-ahead
}

func (st *entryState) stop() {
	st.timer.Stop()
	if st.dueTimer != nil {
		st.dueTimer.Stop()
	}
}

// clock is the time source of a cache; tests replace it to move time.
type clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) stopper
}

type stopper interface{ Stop() bool }

type systemClock struct{}

func (systemClock) Now() time.Time                              { return time.Now() }
func (systemClock) AfterFunc(d time.Duration, f func()) stopper { return time.AfterFunc(d, f) }

// cache is the in-memory LRU+TTL cache of one provider. It is safe for
// concurrent use and runs no goroutine of its own: an entry's expiry is a
// runtime timer, stopped when the entry leaves the cache.
type cache struct {
	ttl          time.Duration
	refreshAhead time.Duration
	jitter       time.Duration
	maxStale     time.Duration
	clock        clock
	values       *lruView[Value] // nil when disabled
	lists        *lruView[map[string]Value]

	// A hit moves the entry to the front of its LRU only when half the
	// cache's size of entries were inserted since it last moved: an entry
	// read at least that often is never evicted, and hits of one hot key
	// from many goroutines take no lock at all.
	inserts      atomic.Uint64
	promoteAfter uint64

	// gen counts invalidations. A fetch that started before an invalidation
	// does not store its (possibly old) result, and a Get after Update never
	// joins a fetch that started before it.
	gen atomic.Uint64

	// mu serialises stores and invalidations, so that a store cannot slip
	// in between a generation check and an invalidation.
	mu sync.Mutex
}

func newCache(cfg CacheConfig) (*cache, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &cache{ttl: cfg.TTL, refreshAhead: cfg.RefreshAhead, jitter: cfg.Jitter, maxStale: cfg.MaxStale, clock: systemClock{}}
	if c.ttl == 0 {
		c.ttl = DefaultCacheTTL
	}
	if cfg.Disabled {
		return c, nil
	}
	size := cfg.Size
	if size == 0 {
		size = DefaultCacheSize
	}
	c.promoteAfter = uint64(max(size/2, 1))
	var err error
	if c.values, err = newLRUView[Value](size); err != nil {
		return nil, err
	}
	if c.lists, err = newLRUView[map[string]Value](size); err != nil {
		return nil, err
	}
	return c, nil
}

// lruView is an LRU (golang-lru) with a read-only copy of its contents that
// readers load with one atomic read: hits from many goroutines share no
// lock and write no shared memory. Writers (stores and invalidations, under
// cache.mu) change the LRU and publish a new copy; the LRU decides what is
// evicted.
type lruView[V any] struct {
	lru  *lru.Cache[cacheKey, entry[V]]
	view atomic.Pointer[map[cacheKey]entry[V]]
}

func newLRUView[V any](size int) (*lruView[V], error) {
	l, err := lru.NewWithEvict(size, func(_ cacheKey, e entry[V]) { e.state.stop() })
	if err != nil {
		return nil, err
	}
	t := &lruView[V]{lru: l}
	t.publish()
	return t, nil
}

func (t *lruView[V]) get(k cacheKey) (entry[V], bool) {
	e, ok := (*t.view.Load())[k]
	return e, ok
}

// publish copies the LRU's contents to the read view. Call with cache.mu
// held, after every change.
func (t *lruView[V]) publish() {
	m := make(map[cacheKey]entry[V], t.lru.Len())
	for _, k := range t.lru.Keys() {
		if e, ok := t.lru.Peek(k); ok {
			m[k] = e
		}
	}
	t.view.Store(&m)
}

func (c *cache) generation() uint64 { return c.gen.Load() }

// hitKind is the result of a cache read.
type hitKind uint8

const (
	miss   hitKind = iota
	hitOK          // a fresh entry
	hitDue         // a fresh entry in its refresh-ahead window: the caller refreshes it
)

// value returns a fresh cached value. A hit is a map lookup and a few atomic
// loads: no allocation, no clock, no lock.
func (c *cache) value(k cacheKey) (Value, hitKind) {
	if c.values == nil {
		return Value{}, miss
	}
	return hit(c, c.values, k)
}

func (c *cache) list(k cacheKey) (map[string]Value, hitKind) {
	if c.lists == nil {
		return nil, miss
	}
	return hit(c, c.lists, k)
}

func hit[V any](c *cache, t *lruView[V], k cacheKey) (V, hitKind) {
	e, ok := t.get(k)
	if !ok || e.state.expired.Load() {
		var zero V
		return zero, miss
	}
	now := c.inserts.Load()
	if last := e.state.touched.Load(); now-last >= c.promoteAfter && e.state.touched.CompareAndSwap(last, now) {
		t.lru.Get(k) // moves it to the front
	}
	if e.state.due.Load() && e.state.refreshing.CompareAndSwap(false, true) {
		return e.v, hitDue
	}
	return e.v, hitOK
}

// fresh returns a fresh cached value without side effects, for the check
// inside a single flight.
func (c *cache) fresh(k cacheKey) (Value, bool) {
	if c.values == nil {
		return Value{}, false
	}
	e, ok := c.values.get(k)
	if !ok || e.state.expired.Load() {
		return Value{}, false
	}
	return e.v, true
}

// stale returns an expired value of k that is at most MaxStale past its
// expiry, marked stale.
func (c *cache) stale(k cacheKey) (Value, bool) {
	if c.values == nil || c.maxStale <= 0 {
		return Value{}, false
	}
	e, ok := c.values.get(k)
	if !ok || !e.state.expired.Load() || c.clock.Now().After(e.state.expires.Add(c.maxStale)) {
		return Value{}, false
	}
	v := e.v
	v.stale = true
	return v, true
}

// newEntry makes an entry that expires after the TTL (less the jitter) and
// is due for a refresh RefreshAhead before that. Call with mu held.
func newEntry[V any](c *cache, v V, ttl time.Duration) entry[V] {
	if c.jitter > 0 && ttl == c.ttl {
		ttl -= rand.N(c.jitter)
	}
	st := &entryState{expires: c.clock.Now().Add(ttl)}
	st.touched.Store(c.inserts.Add(1))
	st.timer = c.clock.AfterFunc(ttl, func() { st.expired.Store(true) })
	if c.refreshAhead > 0 {
		st.dueTimer = c.clock.AfterFunc(max(ttl-c.refreshAhead, 0), func() { st.due.Store(true) })
	}
	return entry[V]{v, st}
}

// add stores v, stopping the timer of the entry it replaces. Call with mu
// held, and publish the view after.
func add[V any](c *cache, t *lruView[V], k cacheKey, v V) { addTTL(c, t, k, v, c.ttl) }

func addTTL[V any](c *cache, t *lruView[V], k cacheKey, v V, ttl time.Duration) {
	if old, ok := t.lru.Peek(k); ok {
		old.state.stop()
	}
	t.lru.Add(k, newEntry(c, v, ttl))
}

// storeValue caches v unless an invalidation happened since gen was read.
func (c *cache) storeValue(gen uint64, k cacheKey, v Value) { c.storeValueTTL(gen, k, v, c.ttl) }

// storeValueTTL caches v for ttl (a value read back from a tier keeps the
// expiry of the original fetch).
func (c *cache) storeValueTTL(gen uint64, k cacheKey, v Value, ttl time.Duration) {
	if c.values == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() == gen {
		addTTL(c, c.values, k, v, min(ttl, c.ttl))
		c.values.publish()
	}
}

// storeList caches a listing, and each of its values under the query that
// a Get of that name would use, so that a Get after GetByPath is free.
func (c *cache) storeList(gen uint64, k cacheKey, m map[string]Value, single Query) {
	if c.lists == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	add(c, c.lists, k, m)
	for name, v := range m {
		add(c, c.values, keyOf(name, single), v)
	}
	c.lists.publish()
	c.values.publish()
}

// invalidate drops every cached variant of path and every cached listing.
func (c *cache) invalidate(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	if c.values == nil {
		return
	}
	for _, k := range c.values.lru.Keys() {
		if k.path == path {
			c.values.lru.Remove(k)
		}
	}
	c.lists.lru.Purge()
	c.values.publish()
	c.lists.publish()
}
