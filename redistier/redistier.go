// Package redistier is the shared cache tier of s1crets on Redis or Valkey:
// a fleet of processes that share a server fetch each secret from the store
// once per TTL between them, not once per process, and only one of them
// fetches it at a time (a fleet-wide lock).
//
// Import it for its side effect, as a database/sql driver:
//
//	import _ "github.com/s1crets/s1crets/redistier"
//
// It registers the URL schemes "redis", "rediss" (TLS), "unix" (a socket
// path) and "valkey", "valkeys" (the same as redis and rediss) with
// driver.RegisterTier, and the root package then opens the tier that
// CacheConfig.RedisURL names. Package s1crets links no Redis client: a
// program that does not import this package has none, and a RedisURL in its
// cache configuration is an error that names this import.
//
// # URLs
//
// A URL is what go-redis's ParseURL accepts, for example
//
//	redis://user:password@cache.internal:6379/2?dial_timeout=2s
//	rediss://cache.internal:6380
//	unix://user:password@/run/redis.sock?db=2
//
// with one rule more: a redis or rediss URL must name its host (go-redis
// would otherwise dial localhost). An address without a scheme,
// "host:port", is a plain TCP address. Errors about a URL never show its
// user name or password: they show its scheme and host, with "xxxxx" for
// the credentials, or no URL at all when it does not parse, and say what
// is wrong.
//
// # Keys and encryption
//
// The tier writes under CacheConfig.RedisPrefix (default "s1crets:"):
// values under PREFIX "v:" and path listings under PREFIX "p:", so that
// dropping the listings leaves the values alone. Each of the two is an
// internal/rediscache Cache, whose package documentation gives the key
// layout in full. In short: names and variants appear in keys only as
// HMAC-SHA256 hashes; entries are sealed with AES-256-GCM under the cache
// key (CacheConfig.EncryptionKey or S1CRETS_CACHE_KEY, 32 bytes) with
// their identity and generations as additional data; invalidation writes a
// new generation token (O(1)), and an entry whose writer read its
// generations before an invalidation never opens after it. Unencrypted
// entries (RedisPlaintext) must be asked for explicitly.
//
// # Failures and logging
//
// The tier never fails a read: a server that is down or slower than the
// tier's timeout (CacheConfig.RedisTimeout, default 250ms) is a miss, and
// no operation waits longer than that timeout, whatever go-redis's own
// timeouts. Opening the tier does not contact the server.
//
// While the server is down, go-redis writes a "failed to dial" line to
// standard error for each failed connection attempt, through its
// process-wide logger (go-redis v9 has no per-client logger). A cache tier
// that is down is not worth a line on the program's standard error (the
// library skips it for a cool-down and reports through its own hooks), so
// importing this package replaces that logger with go-redis's default
// output less those lines; every other go-redis line still goes to
// standard error as before. A program that sets its own logger with
// redis.SetLogger after the import keeps it.
package redistier

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/s1crets/s1crets/driver"
	"github.com/s1crets/s1crets/internal/rediscache"
	"github.com/s1crets/s1crets/internal/seal"
)

// Schemes are the URL schemes that the package registers.
var schemes = []string{"redis", "rediss", "unix", "valkey", "valkeys"}

func init() {
	for _, s := range schemes {
		driver.RegisterTier(s, open)
	}
	redis.SetLogger(quietDials{log.New(os.Stderr, "redis: ", log.LstdFlags|log.Lshortfile)})
}

// quietDials is go-redis's default logger without its "failed to dial"
// lines.
type quietDials struct{ out *log.Logger }

func (q quietDials) Printf(_ context.Context, format string, v ...any) {
	if strings.HasPrefix(format, "redis: connection pool: failed to dial") {
		return
	}
	_ = q.out.Output(3, fmt.Sprintf(format, v...))
}

const (
	defaultPrefix  = "s1crets:"
	defaultTimeout = 250 * time.Millisecond
)

// ErrNoKey is returned when the tier has neither a cache key nor the
// explicit opt-out from encryption.
var ErrNoKey = errors.New("s1crets: the Redis tier encrypts its entries: set CacheConfig.EncryptionKey or " +
	seal.EnvKey + " (32 bytes, base64), or opt out with RedisPlaintext: true")

// ErrBadOptions is returned for tier options that are out of range.
var ErrBadOptions = errors.New("s1crets: invalid Redis tier options")

// newClient builds the client; tests replace it to see the clients made.
var newClient = redis.NewClient

// open is the driver.TierOpener of every scheme of the package.
func open(rawURL string, o driver.TierOptions) (values, lists driver.Tier, err error) {
	if o.Key == nil && !o.Plaintext {
		return nil, nil, ErrNoKey
	}
	if o.Key != nil && len(o.Key) != seal.KeySize {
		return nil, nil, fmt.Errorf("%w: the cache key must be 32 bytes, not %d", ErrBadOptions, len(o.Key))
	}
	if o.Timeout < 0 {
		return nil, nil, fmt.Errorf("%w: the timeout must be positive (0 means %v)", ErrBadOptions, defaultTimeout)
	}
	opts, err := parse(rawURL)
	if err != nil {
		return nil, nil, err
	}
	opts.ContextTimeoutEnabled = true // stop on the socket at the tier's timeout too
	prefix := o.Prefix
	if prefix == "" {
		prefix = defaultPrefix
	}
	timeout := o.Timeout
	if timeout == 0 {
		timeout = defaultTimeout
	}
	shared := &sharedClient{client: newClient(opts), refs: 2}
	var caches [2]*rediscache.Cache
	for i, kind := range []string{"v:", "p:"} {
		caches[i], err = rediscache.New(rediscache.Options{
			Client:         shared.client,
			Prefix:         prefix + kind,
			Key:            o.Key,
			AllowPlaintext: o.Plaintext,
			OpTimeout:      timeout,
			OnClose:        shared.release,
		})
		if err != nil { // the options were checked above: not expected
			_ = shared.client.Close()
			return nil, nil, fmt.Errorf("s1crets: the Redis tier: %w", err)
		}
	}
	return caches[0], caches[1], nil
}

// A sharedClient is the one client of a pair of tiers, closed when both
// are.
type sharedClient struct {
	client *redis.Client
	mu     sync.Mutex // guards refs
	refs   int        // the tiers not yet closed
}

// release is the OnClose of each tier: the last one closes the client.
func (s *sharedClient) release() error {
	s.mu.Lock()
	s.refs--
	last := s.refs == 0
	s.mu.Unlock()
	if !last {
		return nil
	}
	if err := s.client.Close(); err != nil {
		return fmt.Errorf("s1crets: closing the Redis client: %w", err)
	}
	return nil
}
