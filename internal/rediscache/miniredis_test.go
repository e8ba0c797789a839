package rediscache

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

func newMini(t *testing.T) (*miniredis.Miniredis, *env) {
	t.Helper()
	m := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = client.Close() })
	return m, &env{client: client, prefix: "s1crets-test:", advance: m.FastForward}
}

func TestMiniredis(t *testing.T) {
	runSuite(t, func(t *testing.T) *env {
		_, e := newMini(t)
		return e
	})
}

// TestMiniredisCluster runs the suite through a cluster client, on which
// Put writes without the Lua check (an entry's keys live on several nodes)
// and readers alone reject entries written under old generations.
func TestMiniredisCluster(t *testing.T) {
	runSuite(t, func(t *testing.T) *env {
		m := miniredis.RunT(t)
		client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{m.Addr()}})
		t.Cleanup(func() { _ = client.Close() })
		return &env{client: client, prefix: "s1crets-test:", advance: m.FastForward, wantUnchecked: true}
	})
}

// TestLatePutKeepsNewer: on a single node, a Put under a Stamp read
// before a Delete writes nothing, so it does not replace the entry that a
// writer stamped after the Delete stored in the meantime.
func TestLatePutKeepsNewer(t *testing.T) {
	_, e := newMini(t)
	c := e.cache(t, Options{})
	ctx := context.Background()
	old := mustStamp(t, c, "n")
	if err := c.Delete(ctx, "n"); err != nil {
		t.Fatal(err)
	}
	mustPut(t, c, "n", "v", []byte("new"), time.Minute)
	raw, err := e.client.Get(ctx, c.entryKey("n", "v")).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	wrote, err := c.put(ctx, "n", "v", []byte("old"), time.Minute, old)
	if err != nil || wrote {
		t.Fatalf("late put: wrote=%v err=%v, want nothing written", wrote, err)
	}
	mustGet(t, c, "n", "v", []byte("new"))
	if now, _ := e.client.Get(ctx, c.entryKey("n", "v")).Bytes(); !bytes.Equal(now, raw) {
		t.Fatal("the late Put changed the stored entry")
	}
	// The same after a Purge, and the entry's TTL is the one asked for.
	old = mustStamp(t, c, "n")
	if err := c.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if wrote, err := c.put(ctx, "n", "v", []byte("old"), time.Minute, old); err != nil || wrote {
		t.Fatalf("late put after Purge: wrote=%v err=%v", wrote, err)
	}
	mustMiss(t, c, "n", "v")
	if wrote, err := c.put(ctx, "n", "v", []byte("x"), 90*time.Second, mustStamp(t, c, "n")); err != nil || !wrote {
		t.Fatalf("put under the current stamp: wrote=%v err=%v", wrote, err)
	}
	if ttl := e.client.PTTL(ctx, c.entryKey("n", "v")).Val(); ttl <= time.Minute || ttl > 90*time.Second {
		t.Fatalf("entry TTL %v, want 90s", ttl)
	}
}

// TestScriptsRefused: on a server that refuses scripts (an ACL without
// EVAL), Put writes without the check rather than never, and stops trying
// the script; other script errors are not taken for a refusal.
func TestScriptsRefused(t *testing.T) {
	_, e := newMini(t)
	c := e.cache(t, Options{})
	ctx := context.Background()
	var evals int
	e.client.AddHook(&refuseScripts{evals: &evals})
	mustPut(t, c, "n", "v", []byte("x"), time.Minute)
	mustGet(t, c, "n", "v", []byte("x"))
	mustPut(t, c, "n", "v", []byte("y"), time.Minute)
	mustGet(t, c, "n", "v", []byte("y"))
	if evals != 1 {
		t.Errorf("%d script calls, want 1 (then none)", evals)
	}
	// Readers still reject a late Put's entry.
	old := mustStamp(t, c, "n")
	if err := c.Delete(ctx, "n"); err != nil {
		t.Fatal(err)
	}
	mustPutUnder(t, c, "n", "v", []byte("old"), time.Minute, old)
	mustMiss(t, c, "n", "v")

	// A WRONGTYPE reply (a foreign value in a generation key) is an error
	// of this Put, not a refusal of scripts.
	_, e2 := newMini(t)
	c2 := e2.cache(t, Options{})
	st := mustStamp(t, c2, "m")
	if err := e2.client.RPush(ctx, c2.genKey("m"), "a").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c2.Put(ctx, "m", "v", []byte("y"), time.Minute, st); err == nil {
		t.Error("Put with a foreign generation key: no error")
	}
	if c2.noScripts.Load() {
		t.Error("WRONGTYPE taken for a refusal of scripts")
	}
	if scriptsRefused(errors.New("NOPERM not a server reply")) || !scriptsRefused(replyErr("ERR unknown command 'evalsha'")) {
		t.Error("scriptsRefused: wrong answer")
	}
}

// replyErr is an error reply of the server, as go-redis makes them.
type replyErr string

func (e replyErr) Error() string { return string(e) }
func (replyErr) RedisError()     {}

// refuseScripts answers every EVAL and EVALSHA as a server whose ACL
// forbids them.
type refuseScripts struct{ evals *int }

func (h *refuseScripts) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *refuseScripts) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if n := cmd.Name(); n == "eval" || n == "evalsha" {
			*h.evals++
			err := replyErr("NOPERM User default has no permissions to run the '" + n + "' command")
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}
func (h *refuseScripts) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestClose: Close calls OnClose once, waits for the Redis work that a
// call gave up on, and later calls fail or miss without touching Redis.
func TestClose(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: blackhole(t), ReadTimeout: 400 * time.Millisecond,
		WriteTimeout: 400 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	var (
		mu      sync.Mutex
		ended   int
		started int
	)
	client.AddHook(&doneHook{f: func(start bool) {
		mu.Lock()
		defer mu.Unlock()
		if start {
			started++
		} else {
			ended++
		}
	}})
	closes := 0
	c, err := New(Options{Client: client, Key: key32(1), OpTimeout: 50 * time.Millisecond,
		OnClose: func() error { closes++; return errors.New("from OnClose") }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, ok := c.Get(ctx, "n", "v"); ok {
		t.Fatal("a hit from a mute server")
	}
	if err := c.Close(); err == nil || err.Error() != "from OnClose" {
		t.Fatalf("Close: %v, want OnClose's error", err)
	}
	mu.Lock()
	if started == 0 || ended != started {
		t.Errorf("Close returned with Redis work running: %d started, %d ended", started, ended)
	}
	before := started
	mu.Unlock()
	if err := c.Close(); err != nil || closes != 1 {
		t.Fatalf("second Close: %v, OnClose called %d times", err, closes)
	}
	if _, st, ok := c.Get(ctx, "n", "v"); ok || st.OK {
		t.Error("Get after Close: not a miss")
	}
	if err := c.Put(ctx, "n", "v", []byte("x"), time.Minute, gens{}.stamp()); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close: %v, want ErrClosed", err)
	}
	if err := c.Delete(ctx, "n"); !errors.Is(err, ErrClosed) {
		t.Errorf("Delete after Close: %v, want ErrClosed", err)
	}
	if _, ok := c.Lock(ctx, "n", "v", time.Minute); ok {
		t.Error("Lock after Close: ok")
	}
	if _, ok := c.WaitFor(ctx, "n", "v", time.Minute); ok {
		t.Error("WaitFor after Close: ok")
	}
	mu.Lock()
	defer mu.Unlock()
	if started != before {
		t.Errorf("%d Redis calls after Close, want none", started-before)
	}
}

// doneHook reports each command or pipeline as it starts and ends.
type doneHook struct{ f func(start bool) }

func (h *doneHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *doneHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.f(true)
		defer h.f(false)
		return next(ctx, cmd)
	}
}
func (h *doneHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.f(true)
		defer h.f(false)
		return next(ctx, cmds)
	}
}

func TestNew(t *testing.T) {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer client.Close()
	if _, err := New(Options{Key: key32(1)}); !errors.Is(err, ErrNoClient) {
		t.Errorf("no client: %v, want ErrNoClient", err)
	}
	if _, err := New(Options{Client: client}); !errors.Is(err, ErrNoKey) {
		t.Errorf("no key: %v, want ErrNoKey", err)
	}
	for _, n := range []int{1, 16, 31, 33, 64} {
		if _, err := New(Options{Client: client, Key: make([]byte, n)}); err == nil {
			t.Errorf("a %d-byte key: no error", n)
		}
	}
	c, err := New(Options{Client: client, AllowPlaintext: true})
	if err != nil {
		t.Fatalf("plaintext opt-out: %v", err)
	}
	if c.sealer != nil || c.prefix != DefaultPrefix || c.timeout != DefaultOpTimeout {
		t.Errorf("defaults: sealer=%v prefix=%q timeout=%v", c.sealer != nil, c.prefix, c.timeout)
	}
	c, err = New(Options{Client: client, Key: key32(1), AllowPlaintext: true, Prefix: "p:", OpTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if c.sealer == nil || c.prefix != "p:" || c.timeout != time.Second {
		t.Errorf("a key with AllowPlaintext must still seal; prefix=%q timeout=%v", c.prefix, c.timeout)
	}
}

func TestKeyLayout(t *testing.T) {
	_, e := newMini(t)
	c := e.cache(t, Options{})
	ctx := context.Background()
	mustPut(t, c, "n", "v", []byte("x"), time.Minute)
	if err := c.Delete(ctx, "n"); err != nil {
		t.Fatal(err)
	}
	if err := c.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	c.Lock(ctx, "n", "v", time.Minute)
	p := e.prefix
	for _, k := range []string{c.entryKey("n", "v"), c.genKey("n"), c.lockKey("n", "v")} {
		if len(k) != len(p)+64+len("e:") && len(k) != len(p)+64+len("gen:") && len(k) != len(p)+64+len("lock:") {
			t.Errorf("key %q: not PREFIX kind: 64 hex digits", k)
		}
	}
	want := map[string]bool{c.entryKey("n", "v"): true, c.genKey("n"): true, p + "gen": true, c.lockKey("n", "v"): true}
	dump := e.rawDump(t)
	if len(dump) != len(want) {
		t.Errorf("keys %v, want %v", keysOf(dump), want)
	}
	for k := range dump {
		if !want[k] {
			t.Errorf("unexpected key %q", k)
		}
	}
	// Keyed caches do not share key names with other keys or plaintext.
	other := e.cache(t, Options{Key: key32(2)})
	plain := e.cache(t, Options{AllowPlaintext: true})
	if other.entryKey("n", "v") == c.entryKey("n", "v") || plain.entryKey("n", "v") == c.entryKey("n", "v") {
		t.Error("key names do not depend on the key")
	}
	// Length-prefixed: ("ab", "c") and ("a", "bc") differ.
	if c.entryKey("ab", "c") == c.entryKey("a", "bc") {
		t.Error("entry keys are ambiguous")
	}
}

func keysOf(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestTTLCap: entries live at most MaxTTL and generation keys GenTTL, so
// that an expired generation key never brings back an entry written
// before a Delete.
func TestTTLCap(t *testing.T) {
	m, e := newMini(t)
	c := e.cache(t, Options{})
	ctx := context.Background()
	mustPut(t, c, "n", "v", []byte("old"), 30*24*time.Hour)
	if got := m.TTL(c.entryKey("n", "v")); got != MaxTTL {
		t.Fatalf("entry TTL %v, want MaxTTL %v", got, MaxTTL)
	}
	if err := c.Delete(ctx, "n"); err != nil {
		t.Fatal(err)
	}
	if err := c.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	if got := m.TTL(c.genKey("n")); got != GenTTL || GenTTL <= MaxTTL {
		t.Fatalf("generation TTL %v, want GenTTL %v > MaxTTL", got, GenTTL)
	}
	if got := m.TTL(e.prefix + "gen"); got != GenTTL {
		t.Fatalf("prefix generation TTL %v, want %v", got, GenTTL)
	}
	mustMiss(t, c, "n", "v")
	m.FastForward(GenTTL + time.Second)
	mustMiss(t, c, "n", "v")
	// Sub-millisecond TTLs are raised to Redis's resolution, not refused.
	mustPut(t, c, "n", "tiny", []byte("x"), time.Microsecond)
}

// blackhole accepts connections and never answers.
func blackhole(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

// closedPort returns an address where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// TestDegraded: with the server down or mute, every method returns within
// about OpTimeout: Get and WaitFor miss, Put, Delete and Purge fail, Lock
// reports ok=false. The mute servers' clients wait an hour for an answer,
// so that a method that OpTimeout did not bound would hang: the bound
// below, far above OpTimeout for a slow machine's sake, still tells.
func TestDegraded(t *testing.T) {
	const opTimeout = 100 * time.Millisecond
	const bound = time.Minute
	const clientWait = time.Hour
	cases := []struct {
		name   string
		client func(t *testing.T) redis.UniversalClient
	}{
		{"StoppedMiniredis", func(t *testing.T) redis.UniversalClient {
			m := miniredis.RunT(t)
			c := redis.NewClient(&redis.Options{Addr: m.Addr()})
			m.Close()
			return c
		}},
		{"ClosedPort", func(t *testing.T) redis.UniversalClient {
			return redis.NewClient(&redis.Options{Addr: closedPort(t)})
		}},
		// go-redis's own timeouts (by default ReadTimeout 3s, context
		// deadlines ignored; here an hour) would hang: the Cache must not.
		{"MuteServer", func(t *testing.T) redis.UniversalClient {
			return redis.NewClient(&redis.Options{Addr: blackhole(t), ReadTimeout: clientWait, WriteTimeout: clientWait})
		}},
		{"MuteServerContextTimeout", func(t *testing.T) redis.UniversalClient {
			return redis.NewClient(&redis.Options{Addr: blackhole(t), ContextTimeoutEnabled: true,
				ReadTimeout: clientWait, WriteTimeout: clientWait})
		}},
		{"MuteServerURL", func(t *testing.T) redis.UniversalClient {
			o, err := redis.ParseURL("redis://" + blackhole(t) + "/0?read_timeout=1h&write_timeout=1h")
			if err != nil {
				t.Fatal(err)
			}
			return redis.NewClient(o)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client := tc.client(t)
			t.Cleanup(func() { _ = client.Close() })
			c, err := New(Options{Client: client, Key: key32(1), OpTimeout: opTimeout})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			timed := func(what string, f func()) {
				t.Helper()
				start := time.Now()
				f()
				if took := time.Since(start); took > bound {
					t.Errorf("%s took %v, want about %v", what, took, opTimeout)
				}
			}
			timed("Get", func() {
				if _, st, ok := c.Get(ctx, "n", "v"); ok || st.OK {
					t.Errorf("Get: hit=%v, stamp OK=%v", ok, st.OK)
				}
			})
			timed("Stamp", func() {
				if st := c.Stamp(ctx, "n"); st.OK {
					t.Error("Stamp: OK")
				}
			})
			timed("Put", func() {
				// Under a Stamp read while the server was up.
				if err := c.Put(ctx, "n", "v", []byte("x"), time.Minute, gens{}.stamp()); err == nil {
					t.Error("Put: no error")
				}
			})
			timed("Delete", func() {
				if err := c.Delete(ctx, "n"); err == nil {
					t.Error("Delete: no error")
				}
			})
			timed("Purge", func() {
				if err := c.Purge(ctx); err == nil {
					t.Error("Purge: no error")
				}
			})
			timed("Lock", func() {
				rel, ok := c.Lock(ctx, "n", "v", time.Minute)
				if ok {
					t.Error("Lock: ok")
				}
				rel()
			})
			// WaitFor gives up at the first failure, long before maxWait.
			timed("WaitFor", func() {
				if _, ok := c.WaitFor(ctx, "n", "v", time.Minute); ok {
					t.Error("WaitFor: a hit")
				}
			})
		})
	}
}

// slowProxy forwards to addr, holding each reply for delay.
func slowProxy(t *testing.T, addr string, delay time.Duration) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	track := func(c net.Conn) {
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", addr)
			if err != nil {
				_ = in.Close()
				continue
			}
			track(in)
			track(out)
			wg.Add(2)
			go func() { defer wg.Done(); _, _ = io.Copy(out, in) }()
			go func() {
				defer wg.Done()
				buf := make([]byte, 64<<10)
				for {
					n, err := out.Read(buf)
					if n > 0 {
						time.Sleep(delay)
						if _, werr := in.Write(buf[:n]); werr != nil {
							return
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String()
}

// TestLockTakenTooLate: when SET NX succeeds only after Lock gave up, the
// lock is dropped, not left held by nobody for its whole TTL.
func TestLockTakenTooLate(t *testing.T) {
	m := miniredis.RunT(t)
	client := redis.NewClient(&redis.Options{Addr: slowProxy(t, m.Addr(), 150*time.Millisecond)})
	t.Cleanup(func() { _ = client.Close() })
	c, err := New(Options{Client: client, Key: key32(1), OpTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Lock(context.Background(), "n", "v", time.Hour); ok {
		t.Fatal("Lock: ok through a proxy slower than OpTimeout")
	}
	key := c.lockKey("n", "v")
	sawLock := false
	deadline := time.Now().Add(time.Minute) // ends as soon as the lock is dropped
	for time.Now().Before(deadline) {
		if m.Exists(key) {
			sawLock = true
		} else if sawLock {
			return // taken late, then dropped
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !sawLock {
		t.Skip("the late SET NX never reached the server")
	}
	t.Fatal("a lock taken after Lock gave up is still held")
}

// TestOneRoundTrip: Get, Stamp and Put (once its script is loaded) are a
// single round trip each.
func TestOneRoundTrip(t *testing.T) {
	_, e := newMini(t)
	c := e.cache(t, Options{})
	ctx := context.Background()
	mustPut(t, c, "n", "v", []byte("x"), time.Minute)
	var calls int
	hook := &countHook{n: &calls}
	e.client.AddHook(hook)
	for _, step := range []struct {
		what string
		f    func()
	}{
		{"Get", func() { mustGet(t, c, "n", "v", []byte("x")) }},
		{"missing Get", func() { mustMiss(t, c, "n", "other") }},
		{"Stamp", func() { c.Stamp(ctx, "n") }},
		{"Put", func() { mustPutUnder(t, c, "n", "v", []byte("y"), time.Minute, gens{}.stamp()) }},
	} {
		calls = 0
		step.f()
		if calls != 1 {
			t.Errorf("%s made %d round trips, want 1", step.what, calls)
		}
	}
}

type countHook struct{ n *int }

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { *h.n++; return next(ctx, cmd) }
}
func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { *h.n++; return next(ctx, cmds) }
}
