package s1crets

import (
	"fmt"
	"time"

	"github.com/s1crets/s1crets/internal/diskcache"
	"github.com/s1crets/s1crets/internal/seal"
)

// CacheConfig configures a provider's cache, as the original's cache_args.
// The zero value means the defaults: 1000 entries and 15 minutes, in memory.
//
// Each provider has two in-memory caches of Size entries, each evicting the
// least recently used entry when full: one for single values (Get) and one
// for path listings (GetByPath). The cache key holds every option that
// changes what the store returns (Decrypt, Recursive, VersionStage,
// VersionID, FailOnError) but not the key path: key paths are looked up
// after the cache, so one fetch serves every key path of a secret.
type CacheConfig struct {
	Size     int           // entries in each cache; 0 means DefaultCacheSize
	TTL      time.Duration // time an entry is served after the store answered it; 0 means DefaultCacheTTL
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

	// CountHits counts the reads that memory answers in Stats
	// (Stats.Memory.Hits). A hit then costs one atomic add more (about 10
	// ns, on a counter striped so that parallel hits do not contend); by
	// default memory hits are not counted, so that a hit costs nothing
	// more, and Stats.Memory.Hits stays 0. An Observer (Observe) turns it
	// on. Everything else in Stats is always counted.
	CountHits bool

	// NegativeTTL, when positive, remembers for that long that a secret does
	// not exist, so that a loop reading an optional secret does not call
	// the store on every read (off by default). Update and Invalidate
	// forget it.
	NegativeTTL time.Duration

	// FailureBackoff is the first delay after a transient failure of the
	// store (throttling, a 5xx answer, a network error or timeout) before
	// the same secret is asked for again; it doubles, with jitter, on each
	// failure up to MaxFailureBackoff and is forgotten on a success. Reads
	// in between get the stale value when MaxStale allows it, or the last
	// error at once. 0 means DefaultFailureBackoff (1s); negative turns the
	// backoff off. NoCache reads always ask the store.
	FailureBackoff    time.Duration
	MaxFailureBackoff time.Duration // 0 means DefaultMaxFailureBackoff (1m)

	// OnDisk keeps entries on disk too, as the original's cache_on_disk:
	// shared by the processes of a machine and across runs, expiring with
	// the TTL. Directories are created 0700 and files 0600; a directory
	// that others can write to, or under a parent that others can write
	// to, is refused. Without an EncryptionKey (or S1CRETS_CACHE_KEY) the
	// disk holds the secrets in plain text.
	OnDisk         bool
	KeyCacheDir    string // single values; default os.UserCacheDir()/s1crets/keys
	PathCacheDir   string // path listings; default os.UserCacheDir()/s1crets/paths
	DiskMaxEntries int    // per directory, oldest evicted first; 0 means 10000

	// EncryptionKey (32 bytes, base64) seals the entries of the disk and
	// Redis tiers with AES-256-GCM; empty means the S1CRETS_CACHE_KEY
	// environment variable. A wrong key is a miss and a refetch.
	EncryptionKey CacheKey

	// RedisURL enables the shared tier on Redis or Valkey: "host:port" or
	// a redis:// or rediss:// (TLS) URL. It needs the import
	// _ "github.com/s1crets/s1crets/redistier", so that a program without
	// it links no Redis client. Order: memory, disk, Redis, then the store;
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

	// TierCoolDown is how long a disk or Redis tier that failed (down,
	// slower than its timeout, refusing writes) is skipped before one call
	// probes it again: a tier that is down costs its timeout once per
	// cool-down, never on every read. 0 means DefaultTierCoolDown (30s).
	TierCoolDown time.Duration
}

// Defaults of CacheConfig.
const (
	DefaultCacheSize     = 1000
	DefaultCacheTTL      = 15 * time.Minute
	DefaultRedisPrefix   = "s1crets:"
	DefaultRedisTimeout  = 250 * time.Millisecond
	DefaultRedisLockWait = 3 * time.Second
)

// withDefaults fills in the defaults, so that two configs that mean the
// same are equal.
func (c CacheConfig) withDefaults() CacheConfig {
	if c.Size == 0 {
		c.Size = DefaultCacheSize
	}
	if c.TTL == 0 {
		c.TTL = DefaultCacheTTL
	}
	if c.OnDisk && c.DiskMaxEntries == 0 {
		c.DiskMaxEntries = diskcache.DefaultMaxEntries
	}
	if c.RedisURL != "" {
		if c.RedisPrefix == "" {
			c.RedisPrefix = DefaultRedisPrefix
		}
		if c.RedisTimeout == 0 {
			c.RedisTimeout = DefaultRedisTimeout
		}
		if c.RedisLockWait == 0 {
			c.RedisLockWait = DefaultRedisLockWait
		}
	}
	return c
}

// Validate reports the first bad field with what is accepted, as an
// *Error wrapping ErrInvalid.
func (c CacheConfig) Validate() error {
	if err := c.validate(); err != nil {
		return &Error{Op: "cache config", Err: err}
	}
	return nil
}

func (c CacheConfig) validate() error {
	if c.Size < 0 {
		return invalidf("cache Size %d: the size must be positive (0 means the default, %d entries)", c.Size, DefaultCacheSize)
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
	if c.TierCoolDown < 0 {
		return invalidf("cache TierCoolDown %v: it must not be negative (0 means the default, %v)", c.TierCoolDown, DefaultTierCoolDown)
	}
	if c.NegativeTTL < 0 {
		return invalidf("cache NegativeTTL %v: it must not be negative (0 means no negative caching)", c.NegativeTTL)
	}
	if c.MaxFailureBackoff < 0 || (c.FailureBackoff > 0 && c.MaxFailureBackoff > 0 && c.MaxFailureBackoff < c.FailureBackoff) {
		return invalidf("cache MaxFailureBackoff %v: it must be at least FailureBackoff (0 means the default, %v)", c.MaxFailureBackoff, DefaultMaxFailureBackoff)
	}
	if c.DiskMaxEntries < 0 {
		return invalidf("cache DiskMaxEntries %d: it must be positive (0 means %d)", c.DiskMaxEntries, diskcache.DefaultMaxEntries)
	}
	if !c.OnDisk && (c.KeyCacheDir != "" || c.PathCacheDir != "") {
		return invalidf("cache KeyCacheDir and PathCacheDir need OnDisk: true")
	}
	if c.RedisTimeout < 0 || c.RedisLockWait < 0 {
		return invalidf("cache RedisTimeout and RedisLockWait must be positive (0 means the defaults, %v and %v)", DefaultRedisTimeout, DefaultRedisLockWait)
	}
	if c.EncryptionKey != "" {
		if _, err := seal.ParseKey(string(c.EncryptionKey)); err != nil {
			return invalidf("cache EncryptionKey: %v", err)
		}
	}
	return nil
}

// sealKey returns the tiers' encryption key: the config's, else
// S1CRETS_CACHE_KEY's, else nil.
func (c CacheConfig) sealKey() ([]byte, error) {
	if c.EncryptionKey != "" {
		return seal.ParseKey(string(c.EncryptionKey))
	}
	k, _, err := seal.KeyFromEnv()
	return k, err
}

// CacheKey is the AES-256 key of the disk and Redis tiers: 32 bytes,
// base64-encoded. It prints as [REDACTED].
type CacheKey string

// String returns [REDACTED].
func (CacheKey) String() string { return Redacted }

// GoString returns [REDACTED].
func (CacheKey) GoString() string { return Redacted }

// Format prints [REDACTED] for every verb.
func (CacheKey) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(Redacted)) }
