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
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := client.Ping(pingCtx).Err(); err != nil {
		t.Fatalf("%s is set but the server does not answer PING: %v", EnvTestAddr, err)
	}
	runSuite(t, func(t *testing.T) *env {
		e := &env{
			client:  client,
			prefix:  "s1crets-test:" + token()[:12] + ":",
			advance: time.Sleep,
		}
		t.Cleanup(func() {
			for k := range e.rawDump(t) {
				_ = client.Del(ctx, k).Err()
			}
		})
		return e
	})
}
