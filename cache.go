package s1crets

import (
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// CacheConfig configures a provider's cache, as the original's cache_args.
// The zero value means the defaults: 1000 entries and 15 minutes.
//
// Each provider has two caches of Size entries: one for single values (Get)
// and one for path listings (GetByPath). The cache key holds every option
// that changes what the store returns (Decrypt, Recursive, VersionStage,
// VersionID, FailOnError) but not the key path: key paths are looked up
// after the cache, so one fetch serves every key path of a secret.
type CacheConfig struct {
	Size     int           // entries in each cache; 0 means DefaultCacheSize
	TTL      time.Duration // time an entry is served; 0 means DefaultCacheTTL
	Disabled bool          // no caching at all: every read is a remote call
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
	return nil
}

// cacheKey identifies a cached result: the path and every setting that
// changes what the store returns.
type cacheKey struct {
	path string
	q    Query
}

type entry[V any] struct {
	v       V
	expires int64 // unix nanoseconds
}

// cache is the in-memory LRU+TTL cache of one provider. It is safe for
// concurrent use and starts no goroutine: expiry is checked on read against
// now, which tests replace.
type cache struct {
	ttl    time.Duration
	now    func() time.Time
	values *lru.Cache[cacheKey, entry[Value]] // nil when disabled
	lists  *lru.Cache[cacheKey, entry[map[string]Value]]

	// gen counts invalidations. A fetch that started before an invalidation
	// does not store its (possibly old) result, and a Get after Update never
	// joins a fetch that started before it.
	gen atomic.Uint64

	// mu serialises invalidations with stores of fetched results, so that a
	// store cannot slip in between a generation check and an invalidation.
	mu sync.Mutex
}

func newCache(cfg CacheConfig) (*cache, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &cache{ttl: cfg.TTL, now: time.Now}
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
	var err error
	if c.values, err = lru.New[cacheKey, entry[Value]](size); err != nil {
		return nil, err
	}
	if c.lists, err = lru.New[cacheKey, entry[map[string]Value]](size); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *cache) generation() uint64 { return c.gen.Load() }

// value returns a fresh cached value. The hit path is one LRU lookup and a
// clock read: no allocation, no lock of ours.
func (c *cache) value(k cacheKey) (Value, bool) {
	if c.values == nil {
		return Value{}, false
	}
	e, ok := c.values.Get(k)
	if !ok || c.now().UnixNano() >= e.expires {
		return Value{}, false
	}
	return e.v, true
}

func (c *cache) list(k cacheKey) (map[string]Value, bool) {
	if c.lists == nil {
		return nil, false
	}
	e, ok := c.lists.Get(k)
	if !ok || c.now().UnixNano() >= e.expires {
		return nil, false
	}
	return e.v, true
}

// storeValue caches v unless an invalidation happened since gen was read.
func (c *cache) storeValue(gen uint64, k cacheKey, v Value) {
	if c.values == nil {
		return
	}
	exp := c.now().Add(c.ttl).UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() == gen {
		c.values.Add(k, entry[Value]{v, exp})
	}
}

// storeList caches a listing, and each of its values under the query that
// a Get of that name would use, so that a Get after GetByPath is free.
func (c *cache) storeList(gen uint64, k cacheKey, m map[string]Value, single Query) {
	if c.lists == nil {
		return
	}
	exp := c.now().Add(c.ttl).UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen.Load() != gen {
		return
	}
	c.lists.Add(k, entry[map[string]Value]{m, exp})
	for name, v := range m {
		c.values.Add(cacheKey{name, single}, entry[Value]{v, exp})
	}
}

// invalidate drops every cached variant of path and every cached listing.
func (c *cache) invalidate(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	if c.values == nil {
		return
	}
	for _, k := range c.values.Keys() {
		if k.path == path {
			c.values.Remove(k)
		}
	}
	c.lists.Purge()
}
