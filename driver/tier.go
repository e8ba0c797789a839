package driver

import (
	"context"
	"time"
)

// A Tier is a cache shared beyond one process, behind the in-memory cache of
// package s1crets: the disk of a machine, or a Redis server of a fleet. It
// stores opaque bytes under (name, variant) pairs; the root package encodes
// values, names them in the caller's namespace (store, identity, region,
// endpoint) and decides freshness. A Tier never fails a read: every problem
// is a miss. Implementations are safe for concurrent use.
//
// Generations make invalidation safe against fetches in flight. Every entry
// is written under the Stamp that its writer read before it asked the store;
// Delete(name) starts a new generation of name and Purge a new generation of
// the whole tier, so that an entry written under an older Stamp is never
// returned again, even when its Put lands after the Delete.
type Tier interface {
	// Get returns the entry of (name, variant) when it exists under the
	// current generations. On a miss, st is the current Stamp of name, for
	// a Put of what the caller then fetches from the store.
	Get(ctx context.Context, name, variant string) (data []byte, st Stamp, hit bool)
	// Stamp returns the current Stamp of name without reading an entry.
	Stamp(ctx context.Context, name string) Stamp
	// Put stores data under st for ttl. It writes nothing when st is not
	// OK or no longer current.
	Put(ctx context.Context, name, variant string, data []byte, ttl time.Duration, st Stamp) error
	// Delete starts a new generation of name: no entry of any variant of
	// name written before it is returned again.
	Delete(ctx context.Context, name string) error
	// Purge starts a new generation of the tier: no entry written before
	// it is returned again.
	Purge(ctx context.Context) error
	// Close releases what the tier holds (connections, goroutines).
	Close() error
}

// A Stamp is a tier's generations of one name, read before a fetch.
type Stamp struct {
	// Gen identifies the generations; only the tier that made it reads it.
	Gen string
	// OK is false when the tier could not read the generations (the tier is
	// down); a Put under such a Stamp writes nothing.
	OK bool
}

// A FleetLocker is a Tier that lets the processes of a fleet fetch a secret
// from the store once between them (Redis): one takes the lock and fetches,
// the others wait for its entry.
type FleetLocker interface {
	// Lock takes the fetch lock of (name, variant) for at most ttl; ok is
	// false when another process holds it or the tier is down.
	Lock(ctx context.Context, name, variant string, ttl time.Duration) (release func(), ok bool)
	// WaitFor waits up to maxWait for the entry of (name, variant) that
	// the lock holder writes, under the current generations.
	WaitFor(ctx context.Context, name, variant string, maxWait time.Duration) (data []byte, ok bool)
}

// A BatchTier reads the entries of many names of one variant at once (Redis
// pipelines them into one round trip). The results are in the order of
// names, with the same meaning as Tier.Get's.
type BatchTier interface {
	GetMany(ctx context.Context, names []string, variant string) (data [][]byte, st []Stamp, hit []bool)
}
