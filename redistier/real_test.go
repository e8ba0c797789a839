package redistier

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/s1crets/s1crets/driver"
)

// envTestAddr points the real-server test at a Redis or Valkey: host:port,
// or a redis:// or rediss:// URL (as for internal/rediscache).
const envTestAddr = "S1CRETS_TEST_REDIS_ADDR"

// TestRealServer opens the tiers on a real Redis or Valkey by the address
// or URL in S1CRETS_TEST_REDIS_ADDR, under a random prefix, and checks the
// round trip and that a Put under a Stamp read before a Delete stays
// hidden.
func TestRealServer(t *testing.T) {
	addr := os.Getenv(envTestAddr)
	if addr == "" {
		t.Skip(envTestAddr + " is not set: skipping the real Redis/Valkey test (scripts/redis.sh start)")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "s1crets-test:" + hex.EncodeToString(b[:]) + ":"
	rec := recordClients(t)
	values, lists := openTier(t, addr, driver.TierOptions{Key: key, Prefix: prefix, Timeout: time.Second})
	client, _ := rec.last(t)
	ctx := context.Background()
	t.Cleanup(func() {
		// Registered after openTier's: runs before the tiers close.
		keys, _ := client.Keys(ctx, prefix+"*").Result()
		for _, k := range keys {
			_ = client.Del(ctx, k).Err()
		}
	})
	roundTrip(t, values, values, "n")
	roundTrip(t, lists, lists, "n")
	if _, _, hit := lists.Get(ctx, "n", "other"); hit {
		t.Fatal("a hit for a variant never written")
	}
	// Read-your-writes across processes: another pair of tiers on the
	// same server (another process) updates n while a fetch is in flight.
	other, _ := openTier(t, addr, driver.TierOptions{Key: key, Prefix: prefix, Timeout: time.Second})
	st := values.Stamp(ctx, "n")
	if !st.OK {
		t.Fatal("Stamp: not OK")
	}
	if err := other.Delete(ctx, "n"); err != nil {
		t.Fatal(err)
	}
	if err := values.Put(ctx, "n", "v", []byte("old"), time.Minute, st); err != nil {
		t.Fatal(err)
	}
	if got, _, hit := other.Get(ctx, "n", "v"); hit {
		t.Fatalf("a Put under a Stamp read before the Delete is served: %q", got)
	}
	// The fleet lock is exclusive across the two.
	release, ok := values.(driver.FleetLocker).Lock(ctx, "n", "v", time.Minute)
	if !ok {
		t.Fatal("Lock failed")
	}
	defer release()
	if _, ok := other.(driver.FleetLocker).Lock(ctx, "n", "v", time.Minute); ok {
		t.Fatal("a second Lock succeeded")
	}
}
