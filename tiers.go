package s1crets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/s1crets/s1crets/internal/diskcache"
	"github.com/s1crets/s1crets/internal/rediscache"
	"github.com/s1crets/s1crets/internal/seal"
)

// CacheKey is the AES-256 key of the disk and Redis tiers: 32 bytes,
// base64-encoded. It prints as [REDACTED].
type CacheKey string

// String returns [REDACTED].
func (CacheKey) String() string { return Redacted }

// GoString returns [REDACTED].
func (CacheKey) GoString() string { return Redacted }

// Format prints [REDACTED] for every verb.
func (CacheKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }

// tier is a shared cache behind the memory cache: the disk or Redis. Its
// failures are misses; they never reach the caller.
type tier interface {
	Get(ctx context.Context, name, variant string) ([]byte, bool)
	Put(ctx context.Context, name, variant string, data []byte, ttl time.Duration) error
	Delete(ctx context.Context, name string) error
	Purge(ctx context.Context) error
}

// tiers are the disk and Redis tiers of one provider, in the order they are
// read: values and listings in separate stores, as the original's key and
// path caches.
type tiers struct {
	values, lists []tier
	redisValues   *rediscache.Cache // for the fleet-wide lock; nil without Redis
	lockWait      time.Duration
}

func (t *tiers) empty() bool { return t == nil || len(t.values) == 0 }

// Defaults of the tiers.
const (
	DefaultRedisPrefix   = "s1crets:"
	DefaultRedisTimeout  = 250 * time.Millisecond
	DefaultRedisLockWait = 3 * time.Second
)

func (c CacheConfig) validateTiers() error {
	if c.DiskMaxEntries < 0 {
		return invalidf("cache DiskMaxEntries %d: it must be positive (0 means %d)", c.DiskMaxEntries, diskcache.DefaultMaxEntries)
	}
	if !c.OnDisk && (c.KeyCacheDir != "" || c.PathCacheDir != "") {
		return invalidf("cache KeyCacheDir and PathCacheDir need OnDisk: true")
	}
	if c.RedisTimeout < 0 || c.RedisLockWait < 0 {
		return invalidf("cache RedisTimeout and RedisLockWait must be positive (0 means the defaults)")
	}
	if c.EncryptionKey != "" {
		if _, err := seal.ParseKey(string(c.EncryptionKey)); err != nil {
			return invalidf("cache EncryptionKey: %v", err)
		}
	}
	return nil
}

// cacheKey returns the tiers' encryption key: the config's, else
// S1CRETS_CACHE_KEY's, else nil.
func (c CacheConfig) sealKey() ([]byte, error) {
	if c.EncryptionKey != "" {
		return seal.ParseKey(string(c.EncryptionKey))
	}
	k, _, err := seal.KeyFromEnv()
	return k, err
}

// openTiers opens the tiers that cfg enables.
func openTiers(cfg CacheConfig) (*tiers, error) {
	if !cfg.OnDisk && cfg.RedisURL == "" {
		return nil, nil
	}
	key, err := cfg.sealKey()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	t := &tiers{lockWait: cfg.RedisLockWait}
	if t.lockWait == 0 {
		t.lockWait = DefaultRedisLockWait
	}
	if cfg.OnDisk {
		keyDir, pathDir := cfg.KeyCacheDir, cfg.PathCacheDir
		if keyDir == "" || pathDir == "" {
			base, err := os.UserCacheDir()
			if err != nil {
				return nil, fmt.Errorf("s1crets: no directory for the disk cache: %w; set KeyCacheDir and PathCacheDir", err)
			}
			if keyDir == "" {
				keyDir = filepath.Join(base, "s1crets", "keys")
			}
			if pathDir == "" {
				pathDir = filepath.Join(base, "s1crets", "paths")
			}
		}
		for _, dir := range []string{keyDir, pathDir} {
			d, err := diskcache.Open(dir, diskcache.Options{MaxEntries: cfg.DiskMaxEntries, Key: key})
			if err != nil {
				return nil, err
			}
			if dir == keyDir {
				t.values = append(t.values, d)
			} else {
				t.lists = append(t.lists, d)
			}
		}
	}
	if cfg.RedisURL != "" {
		var opts *redis.Options
		if strings.Contains(cfg.RedisURL, "://") {
			if opts, err = redis.ParseURL(cfg.RedisURL); err != nil {
				return nil, fmt.Errorf("%w: cache RedisURL: %w", ErrInvalid, err)
			}
		} else {
			opts = &redis.Options{Addr: cfg.RedisURL}
		}
		opts.ContextTimeoutEnabled = true
		client := redis.NewClient(opts)
		prefix := cfg.RedisPrefix
		if prefix == "" {
			prefix = DefaultRedisPrefix
		}
		timeout := cfg.RedisTimeout
		if timeout == 0 {
			timeout = DefaultRedisTimeout
		}
		for _, kind := range []string{"v:", "p:"} {
			r, err := rediscache.New(rediscache.Options{Client: client, Prefix: prefix + kind, Key: key,
				AllowPlaintext: cfg.RedisPlaintext, OpTimeout: timeout})
			if err != nil {
				if errors.Is(err, rediscache.ErrNoKey) {
					return nil, fmt.Errorf("%w: the Redis tier encrypts its entries: set CacheConfig.EncryptionKey or %s "+
						"(32 bytes, base64), or opt out with RedisPlaintext: true", ErrInvalid, seal.EnvKey)
				}
				return nil, err
			}
			if kind == "v:" {
				t.values = append(t.values, r)
				t.redisValues = r
			} else {
				t.lists = append(t.lists, r)
			}
		}
	}
	return t, nil
}

// variantName is the stable name of a Query in the tiers, shared by
// processes (variant numbers are per process).
func variantName(q Query) string {
	return fmt.Sprintf("d%t r%t f%t s%q i%q", q.Decrypt, q.Recursive, q.FailOnError, q.VersionStage, q.VersionID)
}

// Entry encoding in the tiers: a version byte, the absolute expiry (unix
// nanoseconds: a value read back from a tier expires when the one fetched
// from the store does, in every process), then the payload.
const entryVersion = 1

func encodeEntry(expires time.Time, payload []byte) []byte {
	b := make([]byte, 9, 9+len(payload))
	b[0] = entryVersion
	binary.BigEndian.PutUint64(b[1:], uint64(expires.UnixNano()))
	return append(b, payload...)
}

func decodeEntry(b []byte, now time.Time) (payload []byte, ttl time.Duration, ok bool) {
	if len(b) < 9 || b[0] != entryVersion {
		return nil, 0, false
	}
	exp := time.Unix(0, int64(binary.BigEndian.Uint64(b[1:9])))
	ttl = exp.Sub(now)
	if ttl <= 0 {
		return nil, 0, false
	}
	return b[9:], ttl, true
}

// A value is 't' or 'b' and its bytes.
func encodeValue(v Value) []byte {
	if v.IsBinary() {
		return append([]byte{'b'}, v.payload().bin...)
	}
	return append([]byte{'t'}, v.Text()...)
}

func decodeValue(b []byte) (Value, bool) {
	if len(b) == 0 {
		return Value{}, false
	}
	switch b[0] {
	case 'b':
		return NewBinaryValue(b[1:]), true
	case 't':
		return NewValue(string(b[1:])), true
	}
	return Value{}, false
}

// A listing is a JSON object of name to encoded value.
func encodeList(m map[string]Value) []byte {
	enc := make(map[string][]byte, len(m))
	for k, v := range m {
		enc[k] = encodeValue(v)
	}
	b, _ := json.Marshal(enc) // a map of strings to bytes always encodes
	return b
}

func decodeList(b []byte) (map[string]Value, bool) {
	var enc map[string][]byte
	dec := json.NewDecoder(bytes.NewReader(b))
	if dec.Decode(&enc) != nil {
		return nil, false
	}
	m := make(map[string]Value, len(enc))
	for k, e := range enc {
		v, ok := decodeValue(e)
		if !ok {
			return nil, false
		}
		m[k] = v
	}
	return m, true
}

// tierName is a path's name in the tiers: the provider's namespace (name,
// region, role...) and the path.
func (c *Cached) tierName(path string) string { return c.namespace + "\x00" + path }

// readTiers reads name from the tiers in order; a hit is decoded, copied to
// the tiers before the one that had it, and returned with its remaining TTL.
func readTiers[V any](ctx context.Context, c *Cached, tiers []tier, name, variant string, decode func([]byte) (V, bool)) (V, time.Duration, bool) {
	var zero V
	for i, t := range tiers {
		raw, ok := t.Get(ctx, name, variant)
		if !ok {
			continue
		}
		v, ttl, ok := decodeTier(c, raw, decode)
		if !ok {
			continue
		}
		for _, earlier := range tiers[:i] {
			_ = earlier.Put(ctx, name, variant, raw, ttl)
		}
		return v, ttl, true
	}
	return zero, 0, false
}

// decodeTier decodes an entry of a tier that has not expired.
func decodeTier[V any](c *Cached, raw []byte, decode func([]byte) (V, bool)) (V, time.Duration, bool) {
	var zero V
	payload, ttl, ok := decodeEntry(raw, c.cache.clock.Now())
	if !ok {
		return zero, 0, false
	}
	v, ok := decode(payload)
	return v, ttl, ok
}

// writeTiers writes a freshly fetched payload to every tier.
func (c *Cached) writeTiers(ctx context.Context, tiers []tier, name, variant string, payload []byte) {
	raw := encodeEntry(c.cache.clock.Now().Add(c.cache.ttl), payload)
	for _, t := range tiers {
		_ = t.Put(ctx, name, variant, raw, c.cache.ttl)
	}
}

// tierValue reads k from the tiers and caches a hit in memory.
func (c *Cached) tierValue(ctx context.Context, gen uint64, k cacheKey, q Query) (Value, bool) {
	if c.tiers.empty() {
		return Value{}, false
	}
	v, ttl, ok := readTiers(ctx, c, c.tiers.values, c.tierName(k.path), variantName(q), decodeValue)
	if ok {
		c.cache.storeValueTTL(gen, k, v, ttl)
	}
	return v, ok
}

// putValue writes a freshly fetched value to every tier.
func (c *Cached) putValue(ctx context.Context, path string, q Query, v Value) {
	if !c.tiers.empty() {
		c.writeTiers(ctx, c.tiers.values, c.tierName(path), variantName(q), encodeValue(v))
	}
}

// tierList reads the listing k from the tiers and caches a hit in memory.
func (c *Cached) tierList(ctx context.Context, gen uint64, k cacheKey, q Query) (map[string]Value, bool) {
	if c.tiers.empty() {
		return nil, false
	}
	m, _, ok := readTiers(ctx, c, c.tiers.lists, c.tierName(k.path), variantName(q), decodeList)
	if ok {
		c.cache.storeList(gen, k, m, singleQuery(q))
	}
	return m, ok
}

// putList writes a freshly fetched listing to every tier.
func (c *Cached) putList(ctx context.Context, path string, q Query, m map[string]Value) {
	if !c.tiers.empty() {
		c.writeTiers(ctx, c.tiers.lists, c.tierName(path), variantName(q), encodeList(m))
	}
}

// invalidateTiers drops every variant of path and every listing from the
// tiers, as Update does in memory.
func (c *Cached) invalidateTiers(ctx context.Context, path string) {
	if c.tiers.empty() {
		return
	}
	for _, t := range c.tiers.values {
		_ = t.Delete(ctx, c.tierName(path))
	}
	for _, t := range c.tiers.lists {
		_ = t.Purge(ctx)
	}
}

// fleetFetch fetches a value from the store and caches it in memory and in
// every tier.
// With the Redis tier it does so once for a fleet of processes: the process
// that takes the lock fetches and shares the value before releasing the
// lock; the others wait for it (up to RedisLockWait) and fetch themselves
// only when it does not come.
func (c *Cached) fleetFetch(ctx context.Context, gen uint64, k cacheKey, q Query) (Value, error) {
	fetch := func() (Value, error) {
		v, err := c.safeFetch(ctx, k.path, q)
		if err == nil {
			c.cache.storeValue(gen, k, v)
			c.putValue(ctx, k.path, q, v)
		}
		return v, err
	}
	r := c.tiers
	if r == nil || r.redisValues == nil {
		return fetch()
	}
	name, variant := c.tierName(k.path), variantName(q)
	release, locked := r.redisValues.Lock(ctx, name, variant, r.lockWait+c.timeoutHint())
	if !locked {
		if raw, ok := r.redisValues.WaitFor(ctx, name, variant, r.lockWait); ok {
			if v, ttl, ok := decodeTier(c, raw, decodeValue); ok {
				c.cache.storeValueTTL(gen, k, v, ttl)
				return v, nil
			}
		}
		return fetch()
	}
	defer release()
	// Another process may have shared it between our miss and the lock.
	if v, ok := c.tierValue(ctx, gen, k, q); ok {
		return v, nil
	}
	return fetch()
}

// timeoutHint is how long one fetch may take, for the fleet lock's expiry.
func (c *Cached) timeoutHint() time.Duration { return 15 * time.Second }

// hashKey is a short digest of a cache key for flight names.
func hashKey(k CacheKey) string {
	if k == "" {
		return ""
	}
	s := sha256.Sum256([]byte(k))
	return fmt.Sprintf("%x", s[:8])
}
