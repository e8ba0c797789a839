package s1crets

import (
	"context"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/s1crets/s1crets/driver"
)

// Stats is a snapshot of what a provider's cache and store did since the
// provider was built (Client.Stats), or of every instance of a provider
// that Open and the simple API made (AllStats). The counters only grow; the
// gauges (Values, Listings, InFlight) are the state at the snapshot.
type Stats struct {
	Provider string // the provider's name

	// Reads of one value or listing (one per name for GetMany) by where
	// they were answered: a hit is a read that the cache answered, a miss
	// one that it could not answer and passed on. Memory's misses are every
	// read that went further; a NoCache read asks no cache and is in none.
	Memory, Disk, Shared TierStats

	Calls  CallStats  // remote calls of the store, by operation
	Errors ErrorStats // remote calls that failed, by kind

	Stale     uint64 // expired values served because the store failed transiently (MaxStale)
	Refreshes uint64 // refresh-aheads started (RefreshAhead)
	Evictions uint64 // entries dropped from memory to make room (Size); expiries are not evictions

	Values   int // values cached in memory now
	Listings int // listings (GetByPath) cached in memory now
	InFlight int // loads in progress now (one per name, shared by the readers waiting for it)
}

// TierStats counts the reads one cache tier answered (Hits) and passed on
// (Misses), and its failures (a disk or Redis tier that could not be read
// or written, not counting the calls skipped while it cools down; never a
// changed result).
type TierStats struct {
	Hits, Misses, Failures uint64
}

// CallStats counts remote calls by operation: driver calls, each of which
// may make several requests (retries, pages, batches of 10 or 20 names).
type CallStats struct {
	Get, GetByPath, GetMany, Update, PathExists uint64
	Identity                                    uint64 // the store's identity, asked once for the disk and shared tiers
}

// Total returns the number of remote calls.
func (s CallStats) Total() uint64 {
	return s.Get + s.GetByPath + s.GetMany + s.Update + s.PathExists + s.Identity
}

// ErrorStats counts failed remote calls by kind (see Outcome).
type ErrorStats struct {
	NotFound, Denied, Throttled, Network, Timeout, Other uint64
}

// Total returns the number of failed remote calls.
func (s ErrorStats) Total() uint64 {
	return s.NotFound + s.Denied + s.Throttled + s.Network + s.Timeout + s.Other
}

func (s TierStats) add(t TierStats) TierStats {
	return TierStats{s.Hits + t.Hits, s.Misses + t.Misses, s.Failures + t.Failures}
}

// add returns the sum of s and t.
func (s Stats) add(t Stats) Stats {
	s.Memory, s.Disk, s.Shared = s.Memory.add(t.Memory), s.Disk.add(t.Disk), s.Shared.add(t.Shared)
	s.Calls = CallStats{s.Calls.Get + t.Calls.Get, s.Calls.GetByPath + t.Calls.GetByPath, s.Calls.GetMany + t.Calls.GetMany,
		s.Calls.Update + t.Calls.Update, s.Calls.PathExists + t.Calls.PathExists, s.Calls.Identity + t.Calls.Identity}
	s.Errors = ErrorStats{s.Errors.NotFound + t.Errors.NotFound, s.Errors.Denied + t.Errors.Denied, s.Errors.Throttled + t.Errors.Throttled,
		s.Errors.Network + t.Errors.Network, s.Errors.Timeout + t.Errors.Timeout, s.Errors.Other + t.Errors.Other}
	s.Stale += t.Stale
	s.Refreshes += t.Refreshes
	s.Evictions += t.Evictions
	s.Values += t.Values
	s.Listings += t.Listings
	s.InFlight += t.InFlight
	return s
}

// Stats returns a snapshot of the provider's statistics. It takes no lock
// that a read waits for long, and may be called at any rate.
func (c *Client) Stats() Stats {
	s := &c.stats
	st := Stats{Provider: c.name}
	st.Memory = TierStats{Hits: c.mem.hits.load(), Misses: s.tierMisses[SourceMemory].Load()}
	st.Disk = TierStats{s.tierHits[SourceDisk].Load(), s.tierMisses[SourceDisk].Load(), s.tierFailures[SourceDisk].Load()}
	st.Shared = TierStats{s.tierHits[SourceShared].Load(), s.tierMisses[SourceShared].Load(), s.tierFailures[SourceShared].Load()}
	st.Calls = CallStats{s.calls[opGet].Load(), s.calls[opGetByPath].Load(), s.calls[opGetMany].Load(),
		s.calls[opUpdate].Load(), s.calls[opPathExists].Load(), s.calls[opIdentity].Load()}
	st.Errors = ErrorStats{s.errors[OutcomeNotFound].Load(), s.errors[OutcomeDenied].Load(), s.errors[OutcomeThrottled].Load(),
		s.errors[OutcomeNetwork].Load(), s.errors[OutcomeTimeout].Load(), s.errors[OutcomeOther].Load()}
	st.Stale = s.stale.Load()
	st.Refreshes = s.refreshes.Load()
	st.Evictions = c.mem.evictions.Load()
	st.Values, st.Listings = c.mem.len()
	st.InFlight = c.flights.len()
	return st
}

// AllStats returns the statistics of the instances that Open and the simple
// API made and that are still open, by provider name: the instances of one
// name (with different options) are added up. Providers built by their
// package's constructor are not in it: ask them (Client.Stats).
func AllStats() map[string]Stats {
	registry.mu.Lock()
	all := make([]*Client, 0, len(registry.open))
	for _, c := range registry.open {
		all = append(all, c)
	}
	registry.mu.Unlock()
	out := make(map[string]Stats, len(all))
	for _, c := range all {
		s, ok := out[c.name]
		if !ok {
			s.Provider = c.name
		}
		out[c.name] = s.add(c.Stats())
	}
	return out
}

// counters are the statistics of a Client, beside the memory cache's own
// (hits and evictions, counted where they happen).
type counters struct {
	// By Source; memory's hits are memCache.hits.
	tierHits, tierMisses, tierFailures [numSources]atomic.Uint64

	calls  [numOps]atomic.Uint64
	errors [numOutcomes]atomic.Uint64

	stale, refreshes atomic.Uint64
}

// The remote operations, as counted.
type opIndex uint8

const (
	opGet opIndex = iota
	opGetByPath
	opGetMany
	opUpdate
	opPathExists
	opIdentity
	numOps
)

var opNames = [numOps]string{"get", "get-by-path", "get-many", "update", "path-exists", "identity"}

// hitCounter is a counter that every cache hit adds to, from any number of
// goroutines at once. One atomic counter would make parallel hits queue for
// its cache line; this one is striped: each goroutine adds to the stripe
// that its stack's address picks, each stripe on a cache line of its own,
// so that goroutines on different cores rarely meet. (A random stripe per
// add costs a random number, as much again as the add.)
type hitCounter struct {
	_       [cacheLine]byte // keeps the stripes off the lines of the fields before
	stripes [hitStripes]struct {
		n atomic.Uint64
		_ [cacheLine - 8]byte
	}
}

const (
	// cacheLine is twice the usual 64 bytes: CPUs that fetch lines in pairs
	// would otherwise share a pair between two stripes.
	cacheLine  = 128
	hitStripes = 8 // a power of two
)

func (h *hitCounter) add() {
	var x byte
	p := uintptr(unsafe.Pointer(&x)) // the address only: x stays on the stack
	h.stripes[(p>>13^p>>17)&(hitStripes-1)].n.Add(1)
}

func (h *hitCounter) load() uint64 {
	var n uint64
	for i := range h.stripes {
		n += h.stripes[i].n.Load()
	}
	return n
}

// called records one remote call of op that started at start (zero without
// an Observer) and ended with err.
func (c *Client) called(op opIndex, name string, start time.Time, attempts *driver.Attempts, err error) {
	c.stats.calls[op].Add(1)
	out := c.outcomeOf(err)
	if err != nil {
		c.stats.errors[out].Add(1)
	}
	if c.obs != nil {
		c.emit(Event{Kind: EventCall, Op: opNames[op], Name: name, Outcome: out, Duration: c.since(start),
			Attempts: attempts.N(), Err: err})
	}
}

// call is a remote call in progress, for the statistics and events.
type call struct {
	c     *Client
	op    opIndex
	name  string
	start time.Time        // zero without an Observer
	a     *driver.Attempts // nil without an Observer
}

// calling starts a remote call of op: it returns the context to make it
// with (that counts its attempts, when there is an Observer to report them
// to) and the call, to end with the call's result.
func (c *Client) calling(ctx context.Context, op opIndex, name string) (context.Context, call) {
	k := call{c: c, op: op, name: name}
	if c.obs != nil {
		k.start = c.now()
		k.a = new(driver.Attempts)
		ctx = driver.WithAttempts(ctx, k.a)
	}
	return ctx, k
}

// end records the end of the call; attempts, when not nil, gets the number
// of attempts counted.
func (k call) end(attempts *int, err *error) {
	if attempts != nil {
		*attempts = k.a.N()
	}
	k.c.called(k.op, k.name, k.start, k.a, *err)
}

// read records the end of one read that memory did not answer on its read
// path (asked says whether it asked memory; NoCache does not): answered by
// res.src after the tiers in res.missed, or failed with err.
func (c *Client) read(op, name string, list, asked bool, start time.Time, res loaded, err error) {
	src, missed := res.src, res.missed
	if err != nil {
		src = SourceStore
	}
	if asked && (err != nil || src != SourceMemory) {
		missed = missed.With(SourceMemory)
	}
	for s := range numSources {
		if missed.Has(s) {
			c.stats.tierMisses[s].Add(1)
		}
	}
	switch {
	case err != nil || src == SourceStore:
	case src == SourceMemory: // another load stored it between the miss and this one
		if c.mem.countHits {
			c.mem.hits.add()
		}
	default:
		c.stats.tierHits[src].Add(1)
	}
	if c.obs != nil {
		c.emit(Event{Kind: EventFetch, Op: op, Name: name, List: list, Source: src, Missed: missed,
			Outcome: c.outcomeOf(err), Duration: c.since(start), Attempts: res.attempts, Err: err})
	}
}

// hitEvent reports a read that memory answered on its read path (counted
// by memCache.hits).
func (c *Client) hitEvent(op, name string, list bool) {
	c.emit(Event{Kind: EventFetch, Op: op, Name: name, List: list, Source: SourceMemory})
}

// memoryHit records a read that memory answered outside its read path.
func (c *Client) memoryHit(op, name string, list bool) {
	if c.mem.countHits {
		c.mem.hits.add()
	}
	if c.obs != nil {
		c.hitEvent(op, name, list)
	}
}

// refreshed records a refresh-ahead of path.
func (c *Client) refreshed(path string) {
	c.stats.refreshes.Add(1)
	if c.obs != nil {
		c.emit(Event{Kind: EventRefresh, Op: "get", Name: path})
	}
}

// servedStale records an expired value served in place of err.
func (c *Client) servedStale(op, name string, err error) {
	c.stats.stale.Add(1)
	if c.obs != nil {
		c.emit(Event{Kind: EventStale, Op: op, Name: name, Source: SourceMemory, Outcome: c.outcomeOf(err), Err: err})
	}
}

// tierFailed records a failure of a tier.
func (c *Client) tierFailed(src Source, op string, err error) {
	c.stats.tierFailures[src].Add(1)
	if c.obs != nil {
		c.emit(Event{Kind: EventTierFailure, Op: op, Source: src, Err: err})
	}
}

// len returns the number of loads in progress.
func (fs *flights) len() int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return len(fs.m)
}

// absentHit records a read that memory answered with a remembered
// not-found (CacheConfig.NegativeTTL).
func (c *Client) absentHit(op, name string) {
	if c.mem.countHits {
		c.mem.hits.add()
	}
	if c.obs != nil {
		c.emit(Event{Kind: EventFetch, Op: op, Name: name, Source: SourceMemory, Outcome: OutcomeNotFound, Err: ErrNotFound})
	}
}
