// Package rediscache is the shared cache tier of s1crets: a Redis or Valkey
// server that a fleet of processes shares, so that each secret is fetched
// from AWS once per TTL for the whole fleet rather than once per process.
// The root package encodes values to bytes and namespaces names; this
// package stores opaque bytes under (name, variant) pairs.
//
// # Key layout
//
// Every key starts with Options.Prefix (default "s1crets:"). Neither a
// secret's name nor its variant appears in a key: both go through a hash,
// written as 64 lower-case hex digits (H below). With a key (the default)
// the hash is HMAC-SHA256 under a subkey derived from Options.Key, so that
// a reader of the server cannot even confirm a guessed name; with
// AllowPlaintext it is plain SHA-256.
//
//	PREFIX "e:" H(name, variant)     an entry: the envelope below, with a PX TTL
//	PREFIX "gen:" H(name)            the name's generation: a random token
//	PREFIX "gen"                     the prefix's generation: a random token
//	PREFIX "lock:" H(name, variant)  a fetch lock: a random token, with a PX TTL
//
// An entry's value is an envelope: one format byte ('s' sealed, 'p'
// plaintext), a version byte (1), then the prefix generation and the name
// generation it was written under, those of its writer's Stamp (each one
// length byte and its bytes; empty when the generation key did not exist),
// then the
// body. The body is the data sealed with AES-256-GCM (package seal), with
// the prefix, name, variant and both generations as additional
// authenticated data, so an entry copied to another key, or whose
// generations were edited, does not open; with AllowPlaintext the body is
// the data as is.
//
// Get reads the entry and both generation keys in one pipelined round trip
// and counts the entry only when its generations are the current ones.
// Delete(name) therefore sets a new name generation and Purge a new prefix
// generation: one write each, atomic and O(1), after which every older
// entry is a miss; the entries themselves stay until their TTL ends.
// Entry TTLs are capped at MaxTTL and generation keys live GenTTL (an hour
// longer) after their last change, so a generation key never expires while
// an entry written under an older generation is still alive, as long as
// that entry was written within the hour after the change (a Stamp serves
// one fetch, not an hour); the keys of names that are never deleted again
// do not pile up.
//
// A writer reads the generations before it asks the store (Stamp, or the
// Stamp that a missing Get returns) and Put writes the entry under those,
// not under the generations current when Put runs. A fetch that started
// before an Update therefore cannot publish its older value after the
// Update's Delete: the entry carries the old generation and never opens.
// On a plain Redis or Valkey client Put also checks the generations and
// writes in one Lua script, so such a late Put writes nothing at all and
// cannot replace a newer entry; on a cluster or ring client, whose keys
// live on different nodes, or a server that refuses the script, it writes
// and readers reject the entry.
//
// Lock is SET NX PX with a random token; its release deletes the key only
// while it still holds that token (a Lua script), so a holder whose lock
// expired and was taken by another process cannot release the other's.
//
// # Failure model
//
// The tier is an optimisation and never a source of failure. Every method
// bounds its Redis work by Options.OpTimeout (default 250ms), whatever the
// client's own timeouts: the work runs on its own goroutine and the method
// returns at the deadline, leaving that goroutine to end by the client's
// timeouts (set ContextTimeoutEnabled on the client so it also stops at the
// deadline and frees its connection at once). Get reports any problem (the
// server down or slow, a value that does not parse, the wrong key, an entry
// in plaintext where a key is set) as a miss; Put, Delete and Purge return
// an error that the caller may ignore; Stamp reports OK=false, so that
// nothing is written under it; Lock reports ok=false; WaitFor gives up
// early when the server fails rather than waiting out maxWait. Errors never
// contain values or names.
package rediscache

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/s1crets/s1crets/driver"
	"github.com/s1crets/s1crets/internal/seal"
)

var (
	_ driver.Tier        = (*Cache)(nil)
	_ driver.FleetLocker = (*Cache)(nil)
	_ driver.BatchTier   = (*Cache)(nil)
)

// DefaultPrefix is the key prefix used when Options.Prefix is empty.
const DefaultPrefix = "s1crets:"

// DefaultOpTimeout bounds each method's Redis work when Options.OpTimeout is
// zero.
const DefaultOpTimeout = 250 * time.Millisecond

// MaxTTL is the longest TTL Put stores an entry for; longer TTLs are cut to
// it.
const MaxTTL = 7 * 24 * time.Hour

// GenTTL is how long a generation key lives after its last change. It
// exceeds MaxTTL by a margin that covers a fetch in flight (its Stamp
// read, the store asked, its Put) across a Delete or Purge, so that an
// entry written under an older generation expires before the generation
// key that hides it.
const GenTTL = MaxTTL + time.Hour

// lateReleaseTimeout bounds the background release of a lock that was
// taken after Lock had given up.
const lateReleaseTimeout = 5 * time.Second

// pollInterval is how often WaitFor polls.
const pollInterval = 25 * time.Millisecond

const (
	formatSealed  byte = 's'
	formatPlain   byte = 'p'
	formatVersion byte = 1
	maxTokenLen        = 255
)

// Options configure a Cache.
type Options struct {
	// Client is the Redis or Valkey client, built by the caller from an
	// address or URL (redis.ParseURL) with TLS and authentication as
	// go-redis offers; a *redis.Client, *redis.ClusterClient or a failover
	// client all serve. Required. Setting ContextTimeoutEnabled on it lets
	// operations stop at OpTimeout on the socket too.
	Client redis.UniversalClient
	// Prefix starts every key; default "s1crets:".
	Prefix string
	// Key is the 32-byte AES-256 key that seals values (and keys the hash
	// of names in keys). Required unless AllowPlaintext.
	Key []byte
	// AllowPlaintext stores values unencrypted when Key is empty: an
	// explicit opt-out. With a Key set, values are sealed regardless.
	AllowPlaintext bool
	// OpTimeout bounds the Redis work of every method call; default 250ms.
	OpTimeout time.Duration
	// OnClose, if set, is called once by the first Close, for example to
	// close a client that the Cache owns or shares with another Cache. The
	// Cache never closes Client itself.
	OnClose func() error
}

// A Cache stores byte values in Redis under (name, variant) pairs. It is
// safe for concurrent use.
type Cache struct {
	client    redis.UniversalClient
	prefix    string
	sealer    *seal.Sealer // nil: plaintext
	hashKey   []byte       // nil: plain SHA-256
	timeout   time.Duration
	globalGen string
	// checkedPut: Put checks the generations in a Lua script. Only on a
	// single-node client: a script must find all its keys on one node.
	checkedPut bool
	// noScripts: the server refused the script once (scripting disabled,
	// or an ACL without EVAL); Put writes without the check from then on.
	noScripts atomic.Bool
	onClose   func() error

	mu      sync.Mutex     // guards closed and the Add side of running
	closed  bool           // Close has run: start no more Redis work
	running sync.WaitGroup // the goroutines of run, which Close waits for
}

// ErrNoClient is returned by New when Options.Client is nil.
var ErrNoClient = errors.New("rediscache: no Redis client")

// ErrNoKey is returned by New when Options.Key is empty and
// Options.AllowPlaintext is not set.
var ErrNoKey = errors.New("rediscache: no cache key; set one (32 bytes) or allow plaintext explicitly")

// ErrBadTTL is returned by Put for a TTL that is not positive.
var ErrBadTTL = errors.New("rediscache: the TTL must be positive")

// ErrBadStamp is returned by Put for a Stamp marked OK that this package
// did not make.
var ErrBadStamp = errors.New("rediscache: the stamp was not made by a rediscache.Cache")

// ErrClosed is returned by the methods of a Cache after Close.
var ErrClosed = errors.New("rediscache: the cache is closed")

// New returns a Cache. It fails when there is no client, when there is no
// key and plaintext is not explicitly allowed, and when the key is not 32
// bytes. It does not contact the server.
func New(o Options) (*Cache, error) {
	if o.Client == nil {
		return nil, ErrNoClient
	}
	c := &Cache{client: o.Client, prefix: o.Prefix, timeout: o.OpTimeout, onClose: o.OnClose}
	_, c.checkedPut = o.Client.(*redis.Client)
	if c.prefix == "" {
		c.prefix = DefaultPrefix
	}
	if c.timeout <= 0 {
		c.timeout = DefaultOpTimeout
	}
	switch {
	case len(o.Key) > 0:
		s, err := seal.New(o.Key)
		if err != nil {
			return nil, fmt.Errorf("rediscache: %w", err)
		}
		c.sealer = s
		m := hmac.New(sha256.New, o.Key)
		m.Write([]byte("s1crets/rediscache/v1/key-names"))
		c.hashKey = m.Sum(nil)
	case !o.AllowPlaintext:
		return nil, ErrNoKey
	}
	c.globalGen = c.prefix + "gen"
	return c, nil
}

// Get returns the data stored for name and variant when it was written
// under the current generations. It reads the entry and the generations in
// one pipelined round trip and returns those generations as st (on a hit
// too), for a Put of what the caller fetches after a miss. Any problem (the
// server down or slower than OpTimeout, a damaged value, the wrong key) is
// a miss, never an error; when the generations could not be read, st.OK is
// false.
func (c *Cache) Get(ctx context.Context, name, variant string) (data []byte, st driver.Stamp, hit bool) {
	data, st, hit, _ = c.get(ctx, name, variant)
	return data, st, hit
}

// gens are the two generations that an entry is written under: the
// prefix's and the name's, each "" while its key does not exist.
type gens struct{ global, name string }

// stamp encodes g: the length of the prefix generation in one byte, then
// both generations. It is not OK when a generation is too long to encode
// (a foreign value in a generation key).
func (g gens) stamp() driver.Stamp {
	if len(g.global) > maxTokenLen || len(g.name) > maxTokenLen {
		return driver.Stamp{}
	}
	return driver.Stamp{Gen: string([]byte{byte(len(g.global))}) + g.global + g.name, OK: true}
}

// gensOf decodes a Stamp that stamp made.
func gensOf(st driver.Stamp) (gens, bool) {
	s := st.Gen
	if s == "" || len(s)-1 < int(s[0]) {
		return gens{}, false
	}
	n := int(s[0])
	g := gens{global: s[1 : 1+n], name: s[1+n:]}
	if len(g.name) > maxTokenLen {
		return gens{}, false
	}
	return g, true
}

// fetched is what Get's round trip reads.
type fetched struct {
	entry    []byte
	hasEntry bool
	gens     gens
}

// get is Get that also tells a server failure (err) from a plain miss.
func (c *Cache) get(ctx context.Context, name, variant string) ([]byte, driver.Stamp, bool, error) {
	ek, gk := c.entryKey(name, variant), c.genKey(name)
	f, err := run(ctx, c, func(ctx context.Context) (fetched, error) {
		pipe := c.client.Pipeline()
		e := pipe.Get(ctx, ek)
		g := pipe.Get(ctx, gk)
		gg := pipe.Get(ctx, c.globalGen)
		_, _ = pipe.Exec(ctx) // errors are read per command below
		var f fetched
		var err error
		if f.entry, f.hasEntry, err = bytesOf(e); err != nil {
			return f, err
		}
		if f.gens.name, _, err = stringOf(g); err != nil {
			return f, err
		}
		if f.gens.global, _, err = stringOf(gg); err != nil {
			return f, err
		}
		return f, nil
	}, nil)
	if err != nil {
		return nil, driver.Stamp{}, false, err
	}
	st := f.gens.stamp()
	if !f.hasEntry || !st.OK {
		return nil, st, false, nil
	}
	data, ok := c.open(f.entry, name, variant, f.gens)
	return data, st, ok, nil
}

// GetMany is Get for many names of one variant, in one pipelined round
// trip (driver.BatchTier).
func (c *Cache) GetMany(ctx context.Context, names []string, variant string) (data [][]byte, st []driver.Stamp, hit []bool) {
	data, st, hit = make([][]byte, len(names)), make([]driver.Stamp, len(names)), make([]bool, len(names))
	res, err := run(ctx, c, func(ctx context.Context) ([]fetched, error) {
		pipe := c.client.Pipeline()
		entries := make([]*redis.StringCmd, len(names))
		nameGens := make([]*redis.StringCmd, len(names))
		for i, n := range names {
			entries[i] = pipe.Get(ctx, c.entryKey(n, variant))
			nameGens[i] = pipe.Get(ctx, c.genKey(n))
		}
		gg := pipe.Get(ctx, c.globalGen)
		_, _ = pipe.Exec(ctx) // errors are read per command below
		global, _, err := stringOf(gg)
		if err != nil {
			return nil, err
		}
		out := make([]fetched, len(names))
		for i := range names {
			f := &out[i]
			f.gens.global = global
			if f.entry, f.hasEntry, err = bytesOf(entries[i]); err != nil {
				return nil, err
			}
			if f.gens.name, _, err = stringOf(nameGens[i]); err != nil {
				return nil, err
			}
		}
		return out, nil
	}, nil)
	if err != nil {
		return data, st, hit
	}
	for i, f := range res {
		st[i] = f.gens.stamp()
		if f.hasEntry && st[i].OK {
			data[i], hit[i] = c.open(f.entry, names[i], variant, f.gens)
		}
	}
	return data, st, hit
}

// Stamp returns the current generations of name, read in one round trip,
// for a Put of what the caller is about to fetch. OK is false when they
// could not be read.
func (c *Cache) Stamp(ctx context.Context, name string) driver.Stamp {
	gk := c.genKey(name)
	g, err := run(ctx, c, func(ctx context.Context) (gens, error) {
		pipe := c.client.Pipeline()
		n := pipe.Get(ctx, gk)
		gg := pipe.Get(ctx, c.globalGen)
		_, _ = pipe.Exec(ctx)
		var g gens
		var err error
		if g.name, _, err = stringOf(n); err != nil {
			return g, err
		}
		g.global, _, err = stringOf(gg)
		return g, err
	}, nil)
	if err != nil {
		return driver.Stamp{}
	}
	return g.stamp()
}

func bytesOf(cmd *redis.StringCmd) ([]byte, bool, error) {
	b, err := cmd.Bytes()
	switch {
	case err == nil:
		return b, true, nil
	case errors.Is(err, redis.Nil):
		return nil, false, nil
	default:
		return nil, false, err
	}
}

func stringOf(cmd *redis.StringCmd) (string, bool, error) {
	b, ok, err := bytesOf(cmd)
	return string(b), ok, err
}

// putScript writes an entry only while the generations it is written
// under are the current ones. KEYS: the entry, the prefix generation, the
// name generation; ARGV: the two generations, the value, the TTL in ms.
var putScript = redis.NewScript(`
local g = redis.call("GET", KEYS[2]) or ""
local n = redis.call("GET", KEYS[3]) or ""
if g ~= ARGV[1] or n ~= ARGV[2] then
	return 0
end
redis.call("SET", KEYS[1], ARGV[3], "PX", ARGV[4])
return 1
`)

// Put stores data for name and variant for ttl (cut to MaxTTL), under the
// generations of st, which the caller read (Stamp, or a missing Get)
// before it fetched data: an entry whose fetch began before a Delete or
// Purge never opens after it. A Stamp serves one fetch: it is not kept
// for later Puts (see GenTTL). Put writes nothing, and returns nil, when
// st is not OK or, on a single-node client, when its generations are no
// longer current. One round trip, bounded by OpTimeout. The error, if any,
// names no secret and may be ignored.
func (c *Cache) Put(ctx context.Context, name, variant string, data []byte, ttl time.Duration, st driver.Stamp) error {
	_, err := c.put(ctx, name, variant, data, ttl, st)
	return err
}

// put is Put that also tells whether it wrote.
func (c *Cache) put(ctx context.Context, name, variant string, data []byte, ttl time.Duration, st driver.Stamp) (bool, error) {
	if ttl <= 0 {
		return false, ErrBadTTL
	}
	if !st.OK {
		return false, nil
	}
	g, ok := gensOf(st)
	if !ok {
		return false, ErrBadStamp
	}
	ttl = clampTTL(ttl)
	ek := c.entryKey(name, variant)
	v := c.envelope(data, name, variant, g)
	wrote, err := run(ctx, c, func(ctx context.Context) (bool, error) {
		if c.checkedPut && !c.noScripts.Load() {
			keys := []string{ek, c.globalGen, c.genKey(name)}
			n, err := putScript.Run(ctx, c.client, keys, g.global, g.name, v, ttl.Milliseconds()).Int()
			if !scriptsRefused(err) {
				return n == 1, err
			}
			// The check is only an optimisation (readers reject
			// entries of old generations): write without it rather
			// than never.
			c.noScripts.Store(true)
		}
		return true, c.client.Set(ctx, ek, v, ttl).Err()
	}, nil)
	if err != nil {
		return false, fmt.Errorf("rediscache: put: %w", err)
	}
	return wrote, nil
}

// scriptsRefused reports whether err is the server's refusal to run
// scripts at all: an ACL without EVAL, or scripting disabled or unknown.
func scriptsRefused(err error) bool {
	var reply redis.Error
	if !errors.As(err, &reply) {
		return false
	}
	msg := strings.ToLower(reply.Error())
	return strings.HasPrefix(msg, "noperm") || strings.Contains(msg, "unknown command") ||
		strings.Contains(msg, "disabled command")
}

// clampTTL cuts ttl to MaxTTL and raises it to Redis's 1ms resolution.
func clampTTL(ttl time.Duration) time.Duration {
	if ttl > MaxTTL {
		return MaxTTL
	}
	if ttl < time.Millisecond {
		return time.Millisecond
	}
	return ttl
}

// Delete makes every variant of name a miss, by giving name a new
// generation: one write, O(1) whatever the number of variants.
func (c *Cache) Delete(ctx context.Context, name string) error {
	if err := c.bump(ctx, c.genKey(name)); err != nil {
		return fmt.Errorf("rediscache: delete: %w", err)
	}
	return nil
}

// Purge makes every entry under the prefix a miss, by giving the prefix a
// new generation: one write, O(1). Locks are left alone.
func (c *Cache) Purge(ctx context.Context) error {
	if err := c.bump(ctx, c.globalGen); err != nil {
		return fmt.Errorf("rediscache: purge: %w", err)
	}
	return nil
}

// bump sets a generation key to a new random token for GenTTL.
func (c *Cache) bump(ctx context.Context, key string) error {
	tok := token()
	_, err := run(ctx, c, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, c.client.Set(ctx, key, tok, GenTTL).Err()
	}, nil)
	return err
}

// releaseScript deletes a lock only while it holds the caller's token.
var releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
	return redis.call("DEL", KEYS[1])
end
return 0
`)

// Lock takes the fleet-wide fetch lock of name and variant for ttl (SET NX
// PX with a random token). ok is false when another process holds it and
// on any Redis problem. release, never nil, drops the lock if this process
// still holds it (a Lua script compares the token), at most once and within
// OpTimeout; a holder that dies releases by expiry.
func (c *Cache) Lock(ctx context.Context, name, variant string, ttl time.Duration) (release func(), ok bool) {
	noop := func() {}
	if ttl <= 0 {
		return noop, false
	}
	ttl = clampTTL(ttl)
	key := c.lockKey(name, variant)
	tok := token()
	unlock := func(timeout time.Duration) {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		_ = releaseScript.Run(ctx, c.client, []string{key}, tok).Err()
	}
	got, err := run(ctx, c, func(ctx context.Context) (bool, error) {
		return c.client.SetNX(ctx, key, tok, ttl).Result()
	}, func(got bool, err error) {
		// The answer came after Lock gave up: do not hold a lock that
		// nobody will release.
		// It runs in the background, so it may take longer than
		// OpTimeout: the server is evidently slow.
		if err == nil && got {
			unlock(min(ttl, max(c.timeout, lateReleaseTimeout)))
		}
	})
	if err != nil || !got {
		return noop, false
	}
	var once sync.Once
	return func() { once.Do(func() { unlock(c.timeout) }) }, true
}

// WaitFor polls Get every 25ms until the entry appears, maxWait passes or
// ctx ends, for a process that lost Lock while the winner fetches. It gives
// up at once when the server fails (not merely misses), since the winner
// could not store the value either; the caller then fetches itself.
func (c *Cache) WaitFor(ctx context.Context, name, variant string, maxWait time.Duration) (data []byte, ok bool) {
	ctx, cancel := context.WithTimeout(ctx, maxWait)
	defer cancel()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		data, _, ok, err := c.get(ctx, name, variant)
		if ok {
			return data, true
		}
		if err != nil {
			return nil, false
		}
		select {
		case <-ctx.Done():
			return nil, false
		case <-tick.C:
		}
	}
}

// Close ends the Cache: later calls fail or miss. It calls Options.OnClose
// once, then waits for the Redis work still running on the Cache's
// goroutines, which ends within OpTimeout on a client with
// ContextTimeoutEnabled (a lock taken too late is released within a few
// seconds) and at once when OnClose closed the client. A second Close
// returns nil.
func (c *Cache) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	var err error
	if c.onClose != nil {
		err = c.onClose()
	}
	c.running.Wait()
	return err
}

// envelope builds an entry's value, written under g.
func (c *Cache) envelope(data []byte, name, variant string, g gens) []byte {
	format := formatPlain
	if c.sealer != nil {
		format = formatSealed
	}
	v := make([]byte, 0, 4+len(g.global)+len(g.name)+len(data)+64)
	v = append(v, format, formatVersion, byte(len(g.global)))
	v = append(v, g.global...)
	v = append(v, byte(len(g.name)))
	v = append(v, g.name...)
	if c.sealer == nil {
		return append(v, data...)
	}
	return append(v, c.sealer.Seal(data, c.aad(name, variant, g))...)
}

// open parses and opens an entry's value; ok is false unless it is in this
// cache's format, written under the current generations and, when sealed,
// opens with this key for this name and variant.
func (c *Cache) open(v []byte, name, variant string, g gens) ([]byte, bool) {
	want := formatPlain
	if c.sealer != nil {
		want = formatSealed
	}
	if len(v) < 3 || v[0] != want || v[1] != formatVersion {
		return nil, false
	}
	gotGlobal, rest, ok := cutToken(v[2:])
	if !ok {
		return nil, false
	}
	gotName, body, ok := cutToken(rest)
	if !ok {
		return nil, false
	}
	if string(gotGlobal) != g.global || string(gotName) != g.name {
		return nil, false
	}
	if c.sealer == nil {
		return body, true
	}
	data, err := c.sealer.Open(body, c.aad(name, variant, g))
	if err != nil {
		return nil, false
	}
	return data, true
}

// cutToken splits a length byte and its bytes off the front of b.
func cutToken(b []byte) (tok, rest []byte, ok bool) {
	if len(b) < 1 || len(b)-1 < int(b[0]) {
		return nil, nil, false
	}
	n := int(b[0])
	return b[1 : 1+n], b[1+n:], true
}

// aad is the additional authenticated data of an entry: its identity
// (prefix, name, variant) and the generations it was written under, each
// length-prefixed so that no two identities share an encoding.
func (c *Cache) aad(name, variant string, g gens) []byte {
	var b []byte
	b = append(b, "s1crets/rediscache/v1"...)
	for _, s := range []string{c.prefix, name, variant, g.global, g.name} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

// sum hashes its length-prefixed parts to 64 hex digits: HMAC-SHA256
// with a key, SHA-256 without.
func (c *Cache) sum(parts ...string) string {
	var h hash.Hash
	if c.hashKey != nil {
		h = hmac.New(sha256.New, c.hashKey)
	} else {
		h = sha256.New()
	}
	var n [4]byte
	for _, p := range parts {
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (c *Cache) entryKey(name, variant string) string {
	return c.prefix + "e:" + c.sum("entry", name, variant)
}

func (c *Cache) genKey(name string) string {
	return c.prefix + "gen:" + c.sum("gen", name)
}

func (c *Cache) lockKey(name, variant string) string {
	return c.prefix + "lock:" + c.sum("lock", name, variant)
}

// token returns 128 random bits in hex.
func token() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("rediscache: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

type result[T any] struct {
	v   T
	err error
}

// run calls f with a context that ends after c's OpTimeout, on its own
// goroutine, and returns by that deadline whether or not f has: go-redis
// ignores context deadlines unless the client enables them. When run has
// given up and f ends later, late (if not nil) gets f's result, so that a
// lock taken too late can be dropped. Close waits for the goroutine; after
// Close, run starts nothing and returns ErrClosed.
func run[T any](ctx context.Context, c *Cache, f func(context.Context) (T, error), late func(T, error)) (T, error) {
	var zero T
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return zero, ErrClosed
	}
	c.running.Add(1)
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var (
		mu        sync.Mutex
		abandoned bool
		ch        = make(chan result[T], 1)
	)
	go func() {
		defer c.running.Done()
		var r result[T]
		func() {
			defer func() {
				if p := recover(); p != nil {
					r.err = fmt.Errorf("rediscache: redis client panicked: %v", p)
				}
			}()
			r.v, r.err = f(ctx)
		}()
		mu.Lock()
		gone := abandoned
		if !gone {
			ch <- r // buffered: never blocks
		}
		mu.Unlock()
		if gone && late != nil {
			late(r.v, r.err)
		}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
	}
	mu.Lock()
	defer mu.Unlock()
	select {
	case r := <-ch:
		return r.v, r.err
	default:
		abandoned = true
		return zero, ctx.Err()
	}
}
