package s1crets

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/s1crets/s1crets/driver"
	"github.com/s1crets/s1crets/internal/diskcache"
)

// tierSet is the disk and shared tiers of one provider, in the order they
// are read: values and listings in separate tiers, as the original's key
// and path caches.
type tierSet struct {
	values, lists []driver.Tier
	valueLocker   driver.FleetLocker // the shared tier's fleet lock for values (its breaker); nil without one
	listLocker    driver.FleetLocker // and for listings
	lockWait      time.Duration
	kinds         []Source // of the tiers of values and of lists, by index
	all           Sources  // the kinds
}

// openTiers opens the tiers that cfg enables, each behind a breaker that
// reads the time from now and tells failed of each failure; nil when it
// enables none.
func openTiers(cfg CacheConfig, now func() time.Time, failed func(Source, string, error)) (t *tierSet, err error) {
	if cfg.Disabled || (!cfg.OnDisk && cfg.RedisURL == "") {
		return nil, nil
	}
	key, err := cfg.sealKey()
	if err != nil {
		return nil, invalidf("%v", err)
	}
	t = &tierSet{lockWait: cfg.RedisLockWait}
	defer func() {
		if err != nil {
			t.close()
			t = nil
		}
	}()
	if cfg.OnDisk {
		keyDir, pathDir := cfg.KeyCacheDir, cfg.PathCacheDir
		if keyDir == "" || pathDir == "" {
			base, err := os.UserCacheDir()
			if err != nil {
				return t, fmt.Errorf("no directory for the disk cache: %w; set KeyCacheDir and PathCacheDir", err)
			}
			keyDir = cmpOr(keyDir, filepath.Join(base, "s1crets", "keys"))
			pathDir = cmpOr(pathDir, filepath.Join(base, "s1crets", "paths"))
		}
		opts := diskcache.Options{MaxEntries: cfg.DiskMaxEntries, Key: key}
		v, err := diskcache.Open(keyDir, opts)
		if err != nil {
			return t, err
		}
		t.values = append(t.values, v)
		l, err := diskcache.Open(pathDir, opts)
		if err != nil {
			return t, err
		}
		t.lists = append(t.lists, l)
		t.kinds, t.all = append(t.kinds, SourceDisk), t.all.With(SourceDisk)
	}
	if cfg.RedisURL != "" {
		v, l, err := driver.OpenTier(cfg.RedisURL, driver.TierOptions{Prefix: cfg.RedisPrefix, Key: key,
			Plaintext: cfg.RedisPlaintext, Timeout: cfg.RedisTimeout})
		if err != nil {
			return t, invalidBecause("cache RedisURL", err)
		}
		t.values = append(t.values, v)
		t.lists = append(t.lists, l)
		t.kinds, t.all = append(t.kinds, SourceShared), t.all.With(SourceShared)
	}
	coolDown := cmpOrDuration(cfg.TierCoolDown, DefaultTierCoolDown)
	wrap := func(ts []driver.Tier) (locker driver.FleetLocker) {
		for i, x := range ts {
			b := &breaker{tier: x, coolDown: coolDown, now: now}
			if failed != nil {
				kind := t.kinds[i]
				b.failed = func(op string, err error) { failed(kind, op, err) }
			}
			ts[i] = b
			if _, ok := x.(driver.FleetLocker); ok {
				locker = b
			}
		}
		return locker
	}
	t.valueLocker, t.listLocker = wrap(t.values), wrap(t.lists)
	return t, nil
}

func cmpOrDuration(a, b time.Duration) time.Duration {
	if a != 0 {
		return a
	}
	return b
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (t *tierSet) close() error {
	if t == nil {
		return nil
	}
	var errs []error
	for _, x := range append(t.values, t.lists...) {
		errs = append(errs, x.Close())
	}
	return joinErrors(errs)
}

// variantName is the stable name of a Query in the tiers, shared by
// processes (variant numbers are per process).
func variantName(q driver.Query) string {
	return fmt.Sprintf("d%t r%t f%t s%q i%q", q.Decrypt, q.Recursive, q.FailOnError, q.VersionStage, q.VersionID)
}

// A tier entry: a version byte, when the store answered (Unix nanoseconds
// of the wall clock, shared by every process) and the TTL it was written
// with, then the payload. A reader serves it only until fetched + TTL by
// its own clock, never for longer than its own TTL, and not at all when
// fetched lies in its future (a clock stepped back).
const (
	entryVersion = 2
	entryHeader  = 1 + 8 + 8
	clockSkew    = time.Minute
)

func encodeEntry(fetched time.Time, ttl time.Duration, payload []byte) []byte {
	b := make([]byte, entryHeader, entryHeader+len(payload))
	b[0] = entryVersion
	binary.BigEndian.PutUint64(b[1:], uint64(fetched.UnixNano()))
	binary.BigEndian.PutUint64(b[9:], uint64(ttl))
	return append(b, payload...)
}

// decodeEntry returns the payload of a tier entry with when the store
// answered it, if it may still be served at now under ttl.
func decodeEntry(b []byte, now time.Time, ttl time.Duration) (payload []byte, fetched time.Time, ok bool) {
	if len(b) < entryHeader || b[0] != entryVersion {
		return nil, time.Time{}, false
	}
	fetched = time.Unix(0, int64(binary.BigEndian.Uint64(b[1:9])))
	written := time.Duration(binary.BigEndian.Uint64(b[9:17]))
	age := now.Sub(fetched)
	if age < -clockSkew || age >= min(written, ttl) {
		return nil, time.Time{}, false
	}
	if age < 0 {
		fetched = now
	}
	return b[entryHeader:], fetched, true
}

// A value is 't' (text) or 'b' (binary) and its bytes; with the store's
// Meta, 'T' or 'B', the length of the Meta's JSON as a uvarint, the JSON,
// then the bytes.
func encodeValue(v Value) []byte {
	tag := byte('t')
	if v.IsBinary() {
		tag = 'b'
	}
	var b []byte
	if p := v.payload(); p != nil && p.meta != nil {
		meta, _ := json.Marshal(p.meta) // strings, a slice of strings and a time always encode
		b = append(b, tag-'a'+'A')
		b = binary.AppendUvarint(b, uint64(len(meta)))
		b = append(b, meta...)
	} else {
		b = append(b, tag)
	}
	if v.IsBinary() {
		return append(b, v.Bytes()...)
	}
	return append(b, v.Text()...)
}

func decodeValue(b []byte) (Value, bool) {
	if len(b) == 0 {
		return Value{}, false
	}
	tag, b := b[0], b[1:]
	var meta *Meta
	if tag == 'T' || tag == 'B' {
		n, w := binary.Uvarint(b)
		if w <= 0 || n > uint64(len(b)-w) {
			return Value{}, false
		}
		meta = new(Meta)
		if json.Unmarshal(b[w:w+int(n)], meta) != nil {
			return Value{}, false
		}
		tag, b = tag-'A'+'a', b[w+int(n):]
	}
	var v Value
	switch tag {
	case 'b':
		v = NewBinaryValue(b)
	case 't':
		v = NewValue(string(b))
	default:
		return Value{}, false
	}
	v.payload().meta = meta
	return v, true
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
	if json.NewDecoder(bytes.NewReader(b)).Decode(&enc) != nil {
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

// tierRead is what reading one kind of entry from the tiers found.
type tierRead struct {
	data    []byte         // the payload of the hit
	fetched time.Time      // when the store answered it
	stamps  []driver.Stamp // per tier before the hit (all tiers on a miss): for the write back
	hit     bool
	src     Source  // the tier of the hit
	missed  Sources // the tiers read before it
}

// read reads (name, variant) from tiers in order, with the stamps of the
// tiers that missed. With skip, it reads no entry, only stamps.
func (c *Client) readTiers(ctx context.Context, tiers []driver.Tier, name, variant string, skip bool) tierRead {
	r := tierRead{stamps: make([]driver.Stamp, 0, len(tiers))}
	now := c.mem.clock.Now()
	for i, t := range tiers {
		if skip {
			r.stamps = append(r.stamps, t.Stamp(ctx, name))
			continue
		}
		raw, st, hit := t.Get(ctx, name, variant)
		if hit {
			if payload, fetched, ok := decodeEntry(raw, now, c.mem.ttl); ok {
				r.data, r.fetched, r.hit, r.src = payload, fetched, true, c.tiers.kinds[i]
				return r
			}
			st = t.Stamp(ctx, name) // an entry we do not serve: stamp anew
		}
		r.stamps = append(r.stamps, st)
		r.missed = r.missed.With(c.tiers.kinds[i])
	}
	return r
}

// writeTiers writes payload, that the store answered at fetched, to the
// first len(stamps) tiers, each under the stamp read before the fetch.
func (c *Client) writeTiers(ctx context.Context, tiers []driver.Tier, stamps []driver.Stamp, name, variant string, fetched time.Time, payload []byte) {
	life := c.mem.ttl - c.mem.clock.Now().Sub(fetched)
	if life <= 0 {
		return
	}
	raw := encodeEntry(fetched, c.mem.ttl, payload)
	for i, st := range stamps {
		_ = tiers[i].Put(ctx, name, variant, raw, life, st) // a failure is the breaker's to tell
	}
}
