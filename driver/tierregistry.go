package driver

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// TierOptions configure a shared tier opened by URL.
type TierOptions struct {
	// Prefix starts every key the tier writes; empty means the tier's
	// default.
	Prefix string
	// Key is the 32-byte AES-256 key that seals entries. Nil is refused
	// unless Plaintext is set.
	Key []byte
	// Plaintext allows entries unencrypted when Key is nil.
	Plaintext bool
	// Timeout bounds each operation of the tier.
	Timeout time.Duration
}

// A TierOpener opens the shared tier that url names. It returns two tiers
// over one connection: one for single values and one for path listings, so
// that purging the listings leaves the values alone. Closing both releases
// the connection. It must not contact the server: a server that is down is
// a miss at read time, not an error here. Its errors never quote a password
// that url holds.
type TierOpener func(url string, o TierOptions) (values, lists Tier, err error)

var tierRegistry struct {
	mu     sync.RWMutex // guards byName
	byName map[string]TierOpener
}

// RegisterTier makes a shared tier available by URL scheme ("redis",
// "rediss", ...). Tier packages call it from init. It panics on an empty
// scheme, a nil opener or a scheme registered twice.
func RegisterTier(scheme string, open TierOpener) {
	tierRegistry.mu.Lock()
	defer tierRegistry.mu.Unlock()
	switch {
	case scheme == "":
		panic("s1crets/driver: RegisterTier with an empty scheme")
	case open == nil:
		panic("s1crets/driver: RegisterTier " + scheme + " with a nil opener")
	}
	if _, dup := tierRegistry.byName[scheme]; dup {
		panic("s1crets/driver: RegisterTier called twice for scheme " + scheme)
	}
	if tierRegistry.byName == nil {
		tierRegistry.byName = map[string]TierOpener{}
	}
	tierRegistry.byName[scheme] = open
}

// RedisImport is the import that registers the Redis tier.
const RedisImport = `_ "github.com/s1crets/s1crets/redistier"`

// OpenTier opens the shared tier that url names, by its scheme; a URL
// without a scheme ("host:port") is a Redis address. An unregistered scheme
// is an error that names the import that registers it.
func OpenTier(url string, o TierOptions) (values, lists Tier, err error) {
	scheme := "redis"
	if i := strings.Index(url, "://"); i >= 0 {
		scheme = url[:i]
	}
	tierRegistry.mu.RLock()
	open := tierRegistry.byName[scheme]
	known := make([]string, 0, len(tierRegistry.byName))
	for s := range tierRegistry.byName {
		known = append(known, s)
	}
	tierRegistry.mu.RUnlock()
	if open == nil {
		slices.Sort(known)
		have := strings.Join(known, ", ")
		if have == "" {
			have = "none"
		}
		return nil, nil, fmt.Errorf("no shared cache tier is registered for the URL scheme %q (registered: %s); "+
			"the import %s registers redis, rediss, valkey, valkeys and unix", scheme, have, RedisImport)
	}
	return open(url, o)
}
