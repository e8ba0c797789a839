package rediscache

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/s1crets/s1crets/driver"
)

// env is a server to run the suite on.
type env struct {
	client redis.UniversalClient
	// prefix is unique to the env; every key a test writes is under it.
	prefix string
	// advance lets d pass for the server's TTLs: miniredis fast-forwards;
	// on a real server the TTLs of the env's keys are cut by d (see
	// shiftTTLs), so that no test waits on, or races with, the real clock.
	advance func(d time.Duration)
	// wantUnchecked: the client is not a single node, so Put must not
	// check generations in a script.
	wantUnchecked bool
}

// sub returns the env with a longer prefix.
func (e *env) sub(p string) *env {
	e2 := *e
	e2.prefix += p
	return &e2
}

func key32(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func (e *env) cache(t *testing.T, o Options) *Cache {
	t.Helper()
	o.Client = e.client
	if o.Prefix == "" {
		o.Prefix = e.prefix
	} else {
		o.Prefix = e.prefix + o.Prefix
	}
	if o.Key == nil && !o.AllowPlaintext {
		o.Key = key32(1)
	}
	if o.OpTimeout == 0 {
		o.OpTimeout = 10 * time.Second // generous: -race on a loaded machine
	}
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if c.checkedPut == e.wantUnchecked {
		t.Fatalf("checked Put %v on a %T", c.checkedPut, e.client)
	}
	return c
}

// rawDump reads every key under the env's prefix and, for string keys, its
// value (nil for other types), straight from the server.
func (e *env) rawDump(t *testing.T) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	out := map[string][]byte{}
	iter := e.client.Scan(ctx, 0, e.prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		typ, err := e.client.Type(ctx, k).Result()
		if err != nil {
			t.Fatalf("TYPE raw key: %v", err)
		}
		if typ != "string" {
			out[k] = nil // only tests put other types there
			continue
		}
		v, err := e.client.Get(ctx, k).Bytes()
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatalf("GET raw key: %v", err)
		}
		out[k] = v
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("SCAN: %v", err)
	}
	return out
}

func mustGet(t *testing.T, c *Cache, name, variant string, want []byte) {
	t.Helper()
	got, _, ok := c.Get(context.Background(), name, variant)
	if !ok {
		t.Fatalf("Get(%q, %q): miss, want %q", name, variant, want)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q, %q) = %q, want %q", name, variant, got, want)
	}
}

func mustMiss(t *testing.T, c *Cache, name, variant string) {
	t.Helper()
	if got, _, ok := c.Get(context.Background(), name, variant); ok {
		t.Fatalf("Get(%q, %q) = %q, want a miss", name, variant, got)
	}
}

// mustPut stores data under the current generations, as a writer that
// reads the Stamp and fetches at once.
func mustPut(t *testing.T, c *Cache, name, variant string, data []byte, ttl time.Duration) {
	t.Helper()
	mustPutUnder(t, c, name, variant, data, ttl, mustStamp(t, c, name))
}

func mustPutUnder(t *testing.T, c *Cache, name, variant string, data []byte, ttl time.Duration, st driver.Stamp) {
	t.Helper()
	if err := c.Put(context.Background(), name, variant, data, ttl, st); err != nil {
		t.Fatalf("Put(%q, %q): %v", name, variant, err)
	}
}

func mustStamp(t *testing.T, c *Cache, name string) driver.Stamp {
	t.Helper()
	st := c.Stamp(context.Background(), name)
	if !st.OK {
		t.Fatalf("Stamp(%q): not OK", name)
	}
	return st
}

// runSuite runs the behaviour tests that hold on any server.
func runSuite(t *testing.T, newEnv func(t *testing.T) *env) {
	ctx := context.Background()

	t.Run("RoundTrip", func(t *testing.T) {
		e := newEnv(t)
		c := e.cache(t, Options{})
		mustMiss(t, c, "ns:/app/db", "raw")
		mustPut(t, c, "ns:/app/db", "raw", []byte("s3cr3t"), time.Minute)
		mustPut(t, c, "ns:/app/db", "decrypted", []byte("other"), time.Minute)
		mustPut(t, c, "ns:/app/empty", "raw", []byte{}, time.Minute)
		mustGet(t, c, "ns:/app/db", "raw", []byte("s3cr3t"))
		mustGet(t, c, "ns:/app/db", "decrypted", []byte("other"))
		mustGet(t, c, "ns:/app/empty", "raw", []byte{})
		mustMiss(t, c, "ns:/app/db", "json")
		mustMiss(t, c, "ns:/app/other", "raw")
		// Overwrite.
		mustPut(t, c, "ns:/app/db", "raw", []byte("v2"), time.Minute)
		mustGet(t, c, "ns:/app/db", "raw", []byte("v2"))
		// A second Cache with the same settings (another process) reads it.
		mustGet(t, e.cache(t, Options{}), "ns:/app/db", "raw", []byte("v2"))
		// Plaintext mode round trips too.
		p := e.cache(t, Options{Prefix: "plain:", AllowPlaintext: true})
		mustPut(t, p, "n", "v", []byte("plain"), time.Minute)
		mustGet(t, p, "n", "v", []byte("plain"))
		if err := c.Put(ctx, "n", "v", []byte("x"), 0, mustStamp(t, c, "n")); !errors.Is(err, ErrBadTTL) {
			t.Fatalf("Put with ttl 0: %v, want ErrBadTTL", err)
		}
	})

	t.Run("TTLExpiry", func(t *testing.T) {
		e := newEnv(t)
		c := e.cache(t, Options{})
		// TTLs far longer than the test takes on any machine: only advance
		// makes them run out.
		mustPut(t, c, "n", "v", []byte("x"), time.Hour)
		mustPut(t, c, "n", "long", []byte("y"), 3*time.Hour)
		e.advance(30 * time.Minute)
		mustGet(t, c, "n", "v", []byte("x"))
		e.advance(time.Hour)
		mustMiss(t, c, "n", "v")
		mustGet(t, c, "n", "long", []byte("y"))
	})

	// Delete and Purge in both modes: sealed entries also fail to open
	// under new generations (they are in the AAD), plaintext ones rely on
	// the generation check alone.
	for _, mode := range []Options{{}, {AllowPlaintext: true}} {
		t.Run(map[bool]string{false: "Sealed", true: "Plaintext"}[mode.AllowPlaintext], func(t *testing.T) {
			t.Run("DeleteAllVariants", func(t *testing.T) {
				e := newEnv(t)
				c := e.cache(t, mode)
				other := e.cache(t, mode) // another process
				for _, v := range []string{"raw", "decrypted", "json"} {
					mustPut(t, c, "ns:/a", v, []byte("a-"+v), time.Minute)
				}
				mustPut(t, c, "ns:/b", "raw", []byte("b"), time.Minute)
				mustPut(t, c, "ns:/a2", "raw", []byte("a2"), time.Minute)
				if err := other.Delete(ctx, "ns:/a"); err != nil {
					t.Fatalf("Delete: %v", err)
				}
				for _, v := range []string{"raw", "decrypted", "json"} {
					mustMiss(t, c, "ns:/a", v)
				}
				mustGet(t, c, "ns:/b", "raw", []byte("b"))
				mustGet(t, c, "ns:/a2", "raw", []byte("a2"))
				// A Put after the Delete counts again, and a second Delete hides it.
				mustPut(t, c, "ns:/a", "raw", []byte("new"), time.Minute)
				mustGet(t, other, "ns:/a", "raw", []byte("new"))
				if err := c.Delete(ctx, "ns:/a"); err != nil {
					t.Fatalf("Delete: %v", err)
				}
				mustMiss(t, other, "ns:/a", "raw")
			})

			// Read-your-writes across processes: a fetch that began
			// before an Update (its Stamp read before the Delete) and
			// whose Put lands after it must never be served.
			t.Run("PutUnderOldStampAfterDelete", func(t *testing.T) {
				e := newEnv(t)
				c := e.cache(t, mode)
				other := e.cache(t, mode) // the process that updates
				mustPut(t, c, "n", "v", []byte("old"), time.Minute)
				st := mustStamp(t, c, "n") // a refresh starts its fetch
				if err := other.Delete(ctx, "n"); err != nil {
					t.Fatal(err)
				}
				mustPutUnder(t, c, "n", "v", []byte("old"), time.Minute, st) // and lands late
				mustMiss(t, c, "n", "v")
				mustMiss(t, other, "n", "v")
				// Even written by force (as a cluster client does, or a
				// Put whose check raced the Delete), it does not open.
				g, _ := gensOf(st)
				if err := e.client.Set(ctx, c.entryKey("n", "v"), c.envelope([]byte("old"), "n", "v", g), time.Minute).Err(); err != nil {
					t.Fatal(err)
				}
				mustMiss(t, other, "n", "v")
				// A Put under a Stamp read after the Delete is a hit.
				mustPutUnder(t, c, "n", "v", []byte("new"), time.Minute, mustStamp(t, c, "n"))
				mustGet(t, other, "n", "v", []byte("new"))
			})

			t.Run("PutUnderOldStampAfterPurge", func(t *testing.T) {
				e := newEnv(t)
				c := e.cache(t, mode)
				other := e.cache(t, mode)
				_, st, hit := c.Get(ctx, "n", "v") // a miss: fetch under st
				if hit || !st.OK {
					t.Fatalf("Get: hit=%v stamp OK=%v, want a miss with a stamp", hit, st.OK)
				}
				if err := other.Purge(ctx); err != nil {
					t.Fatal(err)
				}
				mustPutUnder(t, c, "n", "v", []byte("old"), time.Minute, st)
				mustMiss(t, other, "n", "v")
				_, st, _ = other.Get(ctx, "n", "v")
				mustPutUnder(t, c, "n", "v", []byte("new"), time.Minute, st)
				mustGet(t, other, "n", "v", []byte("new"))
			})

			t.Run("StampOfGet", func(t *testing.T) {
				e := newEnv(t)
				c := e.cache(t, mode)
				_, miss, _ := c.Get(ctx, "n", "v")
				if miss != c.Stamp(ctx, "n") {
					t.Fatal("the Stamp of a missing Get differs from Stamp")
				}
				if err := c.Delete(ctx, "n"); err != nil {
					t.Fatal(err)
				}
				_, after, _ := c.Get(ctx, "n", "v")
				if !after.OK || after == miss || after != c.Stamp(ctx, "n") {
					t.Fatal("Delete did not change the Stamp")
				}
				if err := c.Purge(ctx); err != nil {
					t.Fatal(err)
				}
				if c.Stamp(ctx, "n") == after {
					t.Fatal("Purge did not change the Stamp")
				}
				mustPut(t, c, "n", "v", []byte("x"), time.Minute)
				if _, hit, ok := c.Get(ctx, "n", "v"); !ok || hit != c.Stamp(ctx, "n") {
					t.Fatal("a hit does not return the current Stamp")
				}
			})

			t.Run("BadStamps", func(t *testing.T) {
				e := newEnv(t)
				c := e.cache(t, mode)
				// Not OK (the tier was down when it was read): nothing is
				// written, and that is not an error.
				if err := c.Put(ctx, "n", "v", []byte("x"), time.Minute, driver.Stamp{}); err != nil {
					t.Fatalf("Put under a Stamp that is not OK: %v", err)
				}
				if err := c.Put(ctx, "n", "v", []byte("x"), time.Minute, driver.Stamp{Gen: "\x00", OK: false}); err != nil {
					t.Fatalf("Put under a Stamp that is not OK: %v", err)
				}
				if dump := e.rawDump(t); len(dump) != 0 {
					t.Fatalf("Put under a Stamp that is not OK wrote %v", keysOf(dump))
				}
				// OK but not made here: refused.
				for _, gen := range []string{"", "\x05ab", "\x00" + strings.Repeat("g", 300)} {
					err := c.Put(ctx, "n", "v", []byte("x"), time.Minute, driver.Stamp{Gen: gen, OK: true})
					if !errors.Is(err, ErrBadStamp) {
						t.Errorf("Put under Stamp %q: %v, want ErrBadStamp", gen, err)
					}
				}
				mustMiss(t, c, "n", "v")
			})

			t.Run("Purge", func(t *testing.T) {
				e := newEnv(t)
				a := e.sub("a:").cache(t, mode)
				a2 := e.sub("a:").cache(t, mode)
				b := e.sub("b:").cache(t, mode)
				mustPut(t, a, "n1", "raw", []byte("1"), time.Minute)
				mustPut(t, a, "n2", "json", []byte("2"), time.Minute)
				mustPut(t, b, "n1", "raw", []byte("b1"), time.Minute)
				if err := a2.Purge(ctx); err != nil {
					t.Fatalf("Purge: %v", err)
				}
				mustMiss(t, a, "n1", "raw")
				mustMiss(t, a, "n2", "json")
				mustGet(t, b, "n1", "raw", []byte("b1"))
				mustPut(t, a, "n1", "raw", []byte("again"), time.Minute)
				mustGet(t, a2, "n1", "raw", []byte("again"))
			})
		})
	}

	t.Run("EncryptedAtRest", func(t *testing.T) {
		e := newEnv(t)
		const (
			name    = "ns:/prod/payments/SECRETNAME"
			variant = "VARIANTX"
			value   = "hunter2-PLAINTEXT-VALUE"
		)
		leaks := []string{name, "SECRETNAME", "payments", variant, value, "hunter2"}
		check := func(t *testing.T, e *env, c *Cache, wantLeak bool) {
			mustPut(t, c, name, variant, []byte(value), time.Minute)
			mustPut(t, c, name, variant+"2", []byte(value), time.Minute)
			if err := c.Delete(ctx, name+"-other"); err != nil {
				t.Fatal(err)
			}
			mustPut(t, c, name, variant+"3", []byte(value), time.Minute)
			if _, ok := c.Lock(ctx, name, variant, time.Minute); !ok {
				t.Fatal("Lock failed")
			}
			dump := e.rawDump(t)
			if len(dump) < 4 {
				t.Fatalf("only %d keys under the prefix", len(dump))
			}
			leaked := false
			for k, v := range dump {
				for _, s := range leaks {
					if strings.Contains(k, s) {
						t.Errorf("key %q contains %q", k, s)
					}
					if bytes.Contains(v, []byte(s)) {
						leaked = true
						if !wantLeak {
							t.Errorf("the value of key %q contains %q", k, s)
						}
					}
				}
			}
			if wantLeak && !leaked {
				t.Error("plaintext mode: the dump does not show the value; the check is blind")
			}
		}
		t.Run("Sealed", func(t *testing.T) {
			e := e.sub("sealed:")
			c := e.cache(t, Options{})
			check(t, e, c, false)
			raw, err := e.client.Get(ctx, c.entryKey(name, variant)).Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if raw[0] != formatSealed {
				t.Fatalf("format byte %q", raw[0])
			}
		})
		// Control: in plaintext mode the same scan does find the value
		// (but still not the name, which is hashed).
		t.Run("PlaintextControl", func(t *testing.T) {
			e := e.sub("plain:")
			c := e.cache(t, Options{AllowPlaintext: true})
			check(t, e, c, true)
		})
	})

	t.Run("WrongKeyIsMiss", func(t *testing.T) {
		e := newEnv(t)
		a := e.cache(t, Options{Key: key32(1)})
		b := e.cache(t, Options{Key: key32(2)})
		mustPut(t, a, "n", "v", []byte("x"), time.Minute)
		mustMiss(t, b, "n", "v")
		// Even with the value moved to where b looks, it does not open.
		raw, err := e.client.Get(ctx, a.entryKey("n", "v")).Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if err := e.client.Set(ctx, b.entryKey("n", "v"), raw, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		mustMiss(t, b, "n", "v")
		// Nor does a plaintext reader take a sealed entry for its data, nor
		// a sealed reader a plaintext entry (no downgrade).
		p := e.cache(t, Options{AllowPlaintext: true})
		if err := e.client.Set(ctx, p.entryKey("n", "v"), raw, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		mustMiss(t, p, "n", "v")
		plain := p.envelope([]byte("forged"), "n", "v", gens{})
		if err := e.client.Set(ctx, a.entryKey("n", "v"), plain, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		mustMiss(t, a, "n", "v")
	})

	t.Run("EntryBoundToIdentity", func(t *testing.T) {
		e := newEnv(t)
		c := e.cache(t, Options{})
		mustPut(t, c, "n1", "v1", []byte("x"), time.Minute)
		raw, err := e.client.Get(ctx, c.entryKey("n1", "v1")).Bytes()
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range [][2]string{{"n2", "v1"}, {"n1", "v2"}} {
			if err := e.client.Set(ctx, c.entryKey(id[0], id[1]), raw, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			mustMiss(t, c, id[0], id[1])
		}
	})

	t.Run("GarbageIsMiss", func(t *testing.T) {
		e := newEnv(t)
		c := e.cache(t, Options{})
		mustPut(t, c, "n", "v", []byte("x"), time.Minute)
		k := c.entryKey("n", "v")
		good, err := e.client.Get(ctx, k).Bytes()
		if err != nil {
			t.Fatal(err)
		}
		flipped := bytes.Clone(good)
		flipped[len(flipped)-1] ^= 1
		longLen := bytes.Clone(good)
		longLen[2] = 200
		garbage := [][]byte{
			{}, []byte("x"), {formatSealed}, {formatSealed, formatVersion},
			{formatSealed, formatVersion, 0}, {formatSealed, 9, 0, 0},
			append([]byte{formatSealed, formatVersion, 0, 0}, bytes.Repeat([]byte{7}, 40)...),
			flipped, longLen, good[:len(good)-1], []byte("hello, world: not ours"),
		}
		for i, g := range garbage {
			if err := e.client.Set(ctx, k, g, time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			if got, _, ok := c.Get(ctx, "n", "v"); ok {
				t.Errorf("garbage %d: Get = %q, want a miss", i, got)
			}
		}
		// A key of the wrong type (the server answers WRONGTYPE) is a miss.
		if err := e.client.Del(ctx, k).Err(); err != nil {
			t.Fatal(err)
		}
		if err := e.client.RPush(ctx, k, "a").Err(); err != nil {
			t.Fatal(err)
		}
		mustMiss(t, c, "n", "v")
		// So is a foreign value in a generation key; the Stamp is then
		// not OK, and a Put under a Stamp read before writes nothing that
		// opens.
		st := mustStamp(t, c, "m")
		mustPutUnder(t, c, "m", "v", []byte("y"), time.Minute, st)
		if err := e.client.RPush(ctx, c.genKey("m"), "a").Err(); err != nil {
			t.Fatal(err)
		}
		mustMiss(t, c, "m", "v")
		if _, st2, _ := c.Get(ctx, "m", "v"); st2.OK {
			t.Error("Get with a foreign generation key: the Stamp is OK")
		}
		if c.Stamp(ctx, "m").OK {
			t.Error("Stamp with a foreign generation key: OK")
		}
		_ = c.Put(ctx, "m", "v", []byte("y"), time.Minute, st) // an error on a single node
		mustMiss(t, c, "m", "v")
		if err := e.client.Del(ctx, c.genKey("m")).Err(); err != nil {
			t.Fatal(err)
		}
		if err := e.client.Set(ctx, c.genKey("m"), strings.Repeat("g", 300), time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if c.Stamp(ctx, "m").OK {
			t.Error("Stamp with an overlong generation token: OK")
		}
		if err := c.Put(ctx, "m", "v", []byte("y"), time.Minute, st); err != nil {
			t.Errorf("Put under an old Stamp: %v", err)
		}
		mustMiss(t, c, "m", "v")
	})

	t.Run("LockExclusive", func(t *testing.T) {
		e := newEnv(t)
		a := e.cache(t, Options{})
		b := e.cache(t, Options{})
		relA, ok := a.Lock(ctx, "n", "v", time.Minute)
		if !ok {
			t.Fatal("first Lock failed")
		}
		relB, ok := b.Lock(ctx, "n", "v", time.Minute)
		if ok {
			t.Fatal("second Lock succeeded while the first is held")
		}
		if relB == nil {
			t.Fatal("release is nil on failure")
		}
		relB() // a no-op: must not drop a's lock
		if _, ok := b.Lock(ctx, "n", "v", time.Minute); ok {
			t.Fatal("the failed Lock's release dropped the holder's lock")
		}
		// Other variants and names are other locks.
		if _, ok := b.Lock(ctx, "n", "v2", time.Minute); !ok {
			t.Fatal("Lock of another variant failed")
		}
		if _, ok := b.Lock(ctx, "n2", "v", time.Minute); !ok {
			t.Fatal("Lock of another name failed")
		}
		relA()
		relA() // twice is harmless
		relB2, ok := b.Lock(ctx, "n", "v", time.Minute)
		if !ok {
			t.Fatal("Lock after release failed")
		}
		relA() // a's release, again, after b took the lock
		if _, ok := a.Lock(ctx, "n", "v", time.Minute); ok {
			t.Fatal("a repeated release dropped the new holder's lock")
		}
		relB2()
		if _, ok := a.Lock(ctx, "n", "v", 0); ok {
			t.Fatal("Lock with ttl 0 succeeded")
		}
	})

	t.Run("LockExpires", func(t *testing.T) {
		e := newEnv(t)
		a := e.cache(t, Options{})
		b := e.cache(t, Options{})
		relA, ok := a.Lock(ctx, "n", "v", time.Hour)
		if !ok {
			t.Fatal("Lock failed")
		}
		if _, ok := b.Lock(ctx, "n", "v", time.Minute); ok {
			t.Fatal("second Lock succeeded")
		}
		e.advance(2 * time.Hour) // a died holding it
		relB, ok := b.Lock(ctx, "n", "v", time.Minute)
		if !ok {
			t.Fatal("Lock after expiry failed")
		}
		// a comes back and releases: b's lock must stay.
		relA()
		if n, err := e.client.Exists(ctx, b.lockKey("n", "v")).Result(); err != nil || n != 1 {
			t.Fatalf("b's lock after a's late release: exists=%d err=%v", n, err)
		}
		if _, ok := a.Lock(ctx, "n", "v", time.Minute); ok {
			t.Fatal("a non-holder's release freed the lock")
		}
		relB()
		if _, ok := a.Lock(ctx, "n", "v", time.Minute); !ok {
			t.Fatal("Lock after the holder's release failed")
		}
	})

	t.Run("WaitFor", func(t *testing.T) {
		e := newEnv(t)
		winner := e.cache(t, Options{})
		loser := e.cache(t, Options{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(150 * time.Millisecond)
			if err := winner.Put(ctx, "n", "v", []byte("fetched"), time.Minute, winner.Stamp(ctx, "n")); err != nil {
				t.Errorf("Put: %v", err)
			}
		}()
		start := time.Now()
		got, ok := loser.WaitFor(ctx, "n", "v", 10*time.Minute)
		took := time.Since(start)
		wg.Wait()
		if !ok || string(got) != "fetched" {
			t.Fatalf("WaitFor = %q, %v", got, ok)
		}
		// It returned when the Put came, not at maxWait (generous bounds:
		// the machine may be slow, the difference is 10 minutes).
		if took > 5*time.Minute {
			t.Fatalf("WaitFor took %v after the Put", took)
		}
		// Nothing comes: WaitFor gives up after maxWait.
		start = time.Now()
		if _, ok := loser.WaitFor(ctx, "n", "other", 200*time.Millisecond); ok {
			t.Fatal("WaitFor found an entry nobody put")
		}
		if took := time.Since(start); took < 150*time.Millisecond || took > 5*time.Minute {
			t.Fatalf("WaitFor without a Put returned after %v, want about 200ms", took)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		e := newEnv(t)
		c := e.cache(t, Options{})
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				name := []string{"a", "b"}[i%2]
				for range 20 {
					if rel, ok := c.Lock(ctx, name, "v", time.Minute); ok {
						_ = c.Put(ctx, name, "v", []byte(name), time.Minute, c.Stamp(ctx, name))
						rel()
					}
					if got, _, ok := c.Get(ctx, name, "v"); ok && string(got) != name {
						t.Errorf("Get(%s) = %q", name, got)
					}
				}
			}()
		}
		wg.Wait()
	})
}
