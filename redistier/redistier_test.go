package redistier

import (
	"bytes"
	"context"
	"errors"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/s1crets/s1crets/driver"
)

var key = bytes.Repeat([]byte{7}, 32)

// clients records the clients that open builds, by replacing newClient
// for the test.
type clients struct {
	mu   sync.Mutex // guards made
	made []*redis.Client
	opts []*redis.Options
}

func recordClients(t *testing.T) *clients {
	t.Helper()
	r := &clients{}
	orig := newClient
	newClient = func(o *redis.Options) *redis.Client {
		c := orig(o)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.made = append(r.made, c)
		r.opts = append(r.opts, o)
		return c
	}
	t.Cleanup(func() { newClient = orig })
	return r
}

func (r *clients) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.made)
}

func (r *clients) last(t *testing.T) (*redis.Client, *redis.Options) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.made) == 0 {
		t.Fatal("no client was made")
	}
	return r.made[len(r.made)-1], r.opts[len(r.opts)-1]
}

func openTier(t *testing.T, url string, o driver.TierOptions) (values, lists driver.Tier) {
	t.Helper()
	values, lists, err := driver.OpenTier(url, o)
	if err != nil {
		t.Fatalf("OpenTier: %v", err)
	}
	t.Cleanup(func() {
		_ = values.Close()
		_ = lists.Close()
	})
	return values, lists
}

// roundTrip puts data under name through w and reads it back through r.
func roundTrip(t *testing.T, w, r driver.Tier, name string) {
	t.Helper()
	ctx := context.Background()
	_, st, hit := w.Get(ctx, name, "v")
	if hit || !st.OK {
		t.Fatalf("first Get: hit=%v stamp OK=%v, want a miss with a stamp", hit, st.OK)
	}
	if err := w.Put(ctx, name, "v", []byte("data of "+name), time.Minute, st); err != nil {
		t.Fatalf("Put: %v", err)
	}
	got, _, hit := r.Get(ctx, name, "v")
	if !hit || string(got) != "data of "+name {
		t.Fatalf("Get = %q, %v", got, hit)
	}
}

// TestRegistered: importing the package registers its schemes; a URL of
// each opens a working pair of tiers that are fleet lockers too.
func TestRegistered(t *testing.T) {
	m := miniredis.RunT(t)
	for _, scheme := range []string{"redis", "valkey"} {
		t.Run(scheme, func(t *testing.T) {
			values, lists := openTier(t, scheme+"://"+m.Addr()+"/0", driver.TierOptions{Key: key, Prefix: scheme + ":"})
			roundTrip(t, values, values, "n")
			roundTrip(t, lists, lists, "n")
			for _, tier := range []driver.Tier{values, lists} {
				if _, ok := tier.(driver.FleetLocker); !ok {
					t.Errorf("%T is not a driver.FleetLocker", tier)
				}
			}
			// Values and lists are apart: purging the lists leaves values.
			if err := lists.Purge(context.Background()); err != nil {
				t.Fatal(err)
			}
			if _, _, hit := values.Get(context.Background(), "n", "v"); !hit {
				t.Error("purging the lists dropped a value")
			}
			if _, _, hit := lists.Get(context.Background(), "n", "v"); hit {
				t.Error("purging the lists left a listing")
			}
			// Under the prefix, as PREFIX "v:" and PREFIX "p:".
			var v, p int
			for _, k := range m.Keys() {
				switch {
				case strings.HasPrefix(k, scheme+":v:"):
					v++
				case strings.HasPrefix(k, scheme+":p:"):
					p++
				case !strings.HasPrefix(k, "redis:") && !strings.HasPrefix(k, "valkey:"):
					t.Errorf("key %q outside the prefix", k)
				}
			}
			if v == 0 || p == 0 {
				t.Errorf("%d value keys and %d list keys under %q", v, p, scheme+":")
			}
		})
	}
	// The other schemes open without contacting a server.
	rec := recordClients(t)
	for _, tc := range []struct{ url, network, addr string }{
		{"rediss://cache.example:6380", "tcp", "cache.example:6380"},
		{"valkeys://cache.example", "tcp", "cache.example:6379"},
		{"unix:///run/redis.sock?db=2", "unix", "/run/redis.sock"},
	} {
		openTier(t, tc.url, driver.TierOptions{Key: key})
		_, o := rec.last(t)
		if o.Network != tc.network || o.Addr != tc.addr {
			t.Errorf("%s: network %q addr %q, want %q %q", tc.url, o.Network, o.Addr, tc.network, tc.addr)
		}
		if tls := strings.HasPrefix(tc.url, "rediss") || strings.HasPrefix(tc.url, "valkeys"); tls != (o.TLSConfig != nil) {
			t.Errorf("%s: TLS %v", tc.url, o.TLSConfig != nil)
		} else if tls && o.TLSConfig.ServerName != "cache.example" {
			t.Errorf("%s: TLS server name %q", tc.url, o.TLSConfig.ServerName)
		}
	}
}

// TestURLOptions: what the URL says reaches the client, credentials
// included, and the client stops at the tier's timeout on the socket.
func TestURLOptions(t *testing.T) {
	rec := recordClients(t)
	openTier(t, "redis://user:s3cretpw@cache.example:6380/3?dial_timeout=2s&client_name=app", driver.TierOptions{Key: key})
	_, o := rec.last(t)
	if o.Username != "user" || o.Password != "s3cretpw" || o.Addr != "cache.example:6380" || o.DB != 3 ||
		o.DialTimeout != 2*time.Second || o.ClientName != "app" || !o.ContextTimeoutEnabled {
		t.Errorf("options %+v", o)
	}
	openTier(t, "redis://:p%40ss%3Aw0rd@cache.example", driver.TierOptions{Key: key})
	if _, o := rec.last(t); o.Username != "" || o.Password != "p@ss:w0rd" || o.Addr != "cache.example:6379" {
		t.Errorf("a password alone: username %q password %q addr %q", o.Username, o.Password, o.Addr)
	}
	openTier(t, "unix://u:pw@/tmp/redis.sock?db=2", driver.TierOptions{Key: key})
	if _, o := rec.last(t); o.Username != "u" || o.Password != "pw" || o.DB != 2 || !o.ContextTimeoutEnabled {
		t.Errorf("unix options %+v", o)
	}
}

// TestBareAddress: a host:port without a scheme is a TCP address.
func TestBareAddress(t *testing.T) {
	m := miniredis.RunT(t)
	rec := recordClients(t)
	values, lists := openTier(t, m.Addr(), driver.TierOptions{Key: key})
	roundTrip(t, values, values, "n")
	roundTrip(t, lists, lists, "m")
	if _, o := rec.last(t); o.Addr != m.Addr() || o.Network != "" && o.Network != "tcp" || !o.ContextTimeoutEnabled {
		t.Errorf("options for %s: addr %q network %q context timeouts %v", m.Addr(), o.Addr, o.Network, o.ContextTimeoutEnabled)
	}
	openTier(t, "[::1]:6379", driver.TierOptions{Key: key})
	for _, bad := range []string{"localhost", "host:", ":6379", "host:0", "host:99999", "host:+80",
		"user:s3cretpw", "user:s3cretpw@host:6379", "redis:/user:s3cretpw@host:6379", "host/0:6379"} {
		_, _, err := driver.OpenTier(bad, driver.TierOptions{Key: key})
		if !errors.Is(err, ErrBadURL) {
			t.Errorf("%q: %v, want ErrBadURL", bad, err)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: the error shows the password: %v", bad, err)
		}
	}
}

// TestSharedClient: the two tiers of one URL share one client, which
// closes when both tiers are closed, not before.
func TestSharedClient(t *testing.T) {
	m := miniredis.RunT(t)
	rec := recordClients(t)
	values, lists, err := driver.OpenTier("redis://"+m.Addr(), driver.TierOptions{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if n := rec.count(); n != 1 {
		t.Fatalf("%d clients for one URL, want 1", n)
	}
	client, _ := rec.last(t)
	roundTrip(t, values, values, "n")
	roundTrip(t, lists, lists, "n")
	if n := rec.count(); n != 1 {
		t.Fatalf("%d clients after use, want 1", n)
	}
	ctx := context.Background()
	if err := values.Close(); err != nil {
		t.Fatalf("Close values: %v", err)
	}
	if err := values.Close(); err != nil {
		t.Fatalf("Close values twice: %v", err)
	}
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatalf("the client closed with one tier still open: %v", err)
	}
	if _, _, hit := lists.Get(ctx, "n", "v"); !hit {
		t.Fatal("the open tier stopped working when the other closed")
	}
	if _, _, hit := values.Get(ctx, "n", "v"); hit {
		t.Fatal("a closed tier still answers")
	}
	if err := lists.Close(); err != nil {
		t.Fatalf("Close lists: %v", err)
	}
	if err := client.Ping(ctx).Err(); !errors.Is(err, redis.ErrClosed) {
		t.Fatalf("Ping after both tiers closed: %v, want redis.ErrClosed", err)
	}
	if err := lists.Close(); err != nil {
		t.Fatalf("Close lists twice: %v", err)
	}
}

// TestOptions: TierOptions map to the tiers and are checked before a
// client is made.
func TestOptions(t *testing.T) {
	rec := recordClients(t)
	_, _, err := driver.OpenTier("redis://cache.example", driver.TierOptions{})
	if !errors.Is(err, ErrNoKey) {
		t.Fatalf("no key: %v, want ErrNoKey", err)
	}
	for _, want := range []string{"CacheConfig.EncryptionKey", "S1CRETS_CACHE_KEY", "32 bytes, base64", "RedisPlaintext: true"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the no-key error %q does not say %q", err, want)
		}
	}
	for _, o := range []driver.TierOptions{{Key: key[:16]}, {Key: []byte{}}, {Key: key, Timeout: -time.Second}} {
		if _, _, err := driver.OpenTier("redis://cache.example", o); !errors.Is(err, ErrBadOptions) {
			t.Errorf("options %+v: %v, want ErrBadOptions", o, err)
		}
	}
	if n := rec.count(); n != 0 {
		t.Fatalf("%d clients made for refused options", n)
	}

	// Plaintext by explicit opt-out: entries are stored in the clear.
	m := miniredis.RunT(t)
	values, _ := openTier(t, m.Addr(), driver.TierOptions{Plaintext: true, Prefix: "plain:"})
	roundTrip(t, values, values, "n")
	found := false
	for _, k := range m.Keys() {
		if v, err := m.Get(k); err == nil && strings.Contains(v, "data of n") {
			found = true
		}
	}
	if !found {
		t.Error("Plaintext: the value is not in the clear")
	}
	// With a key it is sealed, and a tier with another key does not read it.
	sealed, _ := openTier(t, m.Addr(), driver.TierOptions{Key: key, Prefix: "sealed:"})
	roundTrip(t, sealed, sealed, "n2")
	for _, k := range m.Keys() {
		if v, err := m.Get(k); err == nil && strings.Contains(v, "data of n2") {
			t.Errorf("key %q holds the value in the clear", k)
		}
	}
	other, _ := openTier(t, m.Addr(), driver.TierOptions{Key: bytes.Repeat([]byte{8}, 32), Prefix: "sealed:"})
	if _, _, hit := other.Get(context.Background(), "n2", "v"); hit {
		t.Error("a tier with another key read the entry")
	}

	// The timeout bounds every operation; the default is 250ms.
	mute := muteServer(t)
	for _, tc := range []struct {
		timeout, min, max time.Duration
	}{
		{0, 200 * time.Millisecond, 2 * time.Second},
		{50 * time.Millisecond, 30 * time.Millisecond, time.Second},
	} {
		values, _ := openTier(t, mute, driver.TierOptions{Key: key, Timeout: tc.timeout})
		start := time.Now()
		if _, st, hit := values.Get(context.Background(), "n", "v"); hit || st.OK {
			t.Errorf("a mute server answered: hit=%v stamp OK=%v", hit, st.OK)
		}
		if took := time.Since(start); took < tc.min || took > tc.max {
			t.Errorf("timeout %v: Get took %v, want between %v and %v", tc.timeout, took, tc.min, tc.max)
		}
	}
}

// TestOpenDoesNotDial: opening a tier whose server is down succeeds; the
// reads then miss.
func TestOpenDoesNotDial(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	values, _ := openTier(t, "redis://"+addr, driver.TierOptions{Key: key, Timeout: 50 * time.Millisecond})
	if _, st, hit := values.Get(context.Background(), "n", "v"); hit || st.OK {
		t.Errorf("a closed port answered: hit=%v stamp OK=%v", hit, st.OK)
	}
}

// muteServer accepts connections and never answers.
func muteServer(t *testing.T) string {
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

// The tier's own dial failures are not written to the program's standard
// error; other go-redis lines are.
func TestQuietDials(t *testing.T) {
	var out bytes.Buffer
	q := quietDials{log.New(&out, "redis: ", 0)}
	q.Printf(context.Background(), "redis: connection pool: failed to dial after %d attempts: %v", 5, errors.New("refused"))
	if out.Len() != 0 {
		t.Errorf("a dial failure was written: %q", out.String())
	}
	q.Printf(context.Background(), "Conn has unread data (not push notification), removing it")
	if !strings.Contains(out.String(), "unread data") {
		t.Errorf("another go-redis line was dropped: %q", out.String())
	}
}
