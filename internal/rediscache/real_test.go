package rediscache

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// EnvTestAddr names the environment variable that points the real-server
// test at a Redis or Valkey: host:port, or a redis:// or rediss:// URL.
const EnvTestAddr = "S1CRETS_TEST_REDIS_ADDR"

// TestRealServer runs the suite against a real Redis or Valkey. Start one
// with scripts/redis.sh start, then:
//
//	S1CRETS_TEST_REDIS_ADDR=$(cat .redis/addr) go test -race -run TestRealServer ./internal/rediscache/
//
// Keys go under a random prefix and are deleted at the end.
func TestRealServer(t *testing.T) {
	addr := os.Getenv(EnvTestAddr)
	if addr == "" {
		t.Skip(EnvTestAddr + " is not set: skipping the real Redis/Valkey test " +
			"(run scripts/redis.sh start and set it to the address printed)")
	}
	var opt *redis.Options
	if strings.Contains(addr, "://") {
		o, err := redis.ParseURL(addr)
		if err != nil {
			t.Fatalf("%s: not a redis URL: %v", EnvTestAddr, err)
		}
		opt = o
	} else {
		opt = &redis.Options{Addr: addr}
	}
	client := redis.NewClient(opt)
	t.Cleanup(func() { _ = client.Close() })
	ctx := context.Background()
	pingCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := client.Ping(pingCtx).Err(); err != nil {
		t.Fatalf("%s is set but the server does not answer PING: %v", EnvTestAddr, err)
	}
	runSuite(t, func(t *testing.T) *env {
		e := &env{
			client: client,
			prefix: "s1crets-test:" + token()[:12] + ":",
		}
		e.advance = func(d time.Duration) { shiftTTLs(t, client, e.prefix, d) }
		t.Cleanup(func() {
			for k := range e.rawDump(t) {
				_ = client.Del(ctx, k).Err()
			}
		})
		return e
	})
}

// shiftTTLs lets d pass for the keys under prefix without waiting: each
// key's remaining TTL is cut by d, and a key with d or less left is
// deleted, as the server would have expired it. Sleeping instead would
// make the TTL tests depend on the machine's speed (a slow step between a
// Put and its check uses up the TTL) and slow.
func shiftTTLs(t *testing.T, client redis.UniversalClient, prefix string, d time.Duration) {
	t.Helper()
	ctx := context.Background()
	iter := client.Scan(ctx, 0, prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		left, err := client.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatalf("PTTL: %v", err)
		}
		switch {
		case left < 0: // no TTL, or already gone
		case left <= d:
			err = client.Del(ctx, k).Err()
		default:
			err = client.PExpire(ctx, k, left-d).Err()
		}
		if err != nil {
			t.Fatalf("shifting the TTL of a test key: %v", err)
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("SCAN: %v", err)
	}
}
