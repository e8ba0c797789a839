package aws_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/awsfake"
	"github.com/s1crets/s1crets/providers/aws"
	_ "github.com/s1crets/s1crets/redistier" // the Redis tier of CacheConfig.RedisURL
)

const (
	fleetProcesses = 20
	fleetSecrets   = 10
)

// redisAddr returns a real Redis from S1CRETS_TEST_REDIS_ADDR (as .ci/run
// starts one), else an in-process miniredis.
func redisAddr(t *testing.T) string {
	if a := os.Getenv("S1CRETS_TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return miniredis.RunT(t).Addr()
}

// TestFleetSingleFetch starts 20 OS processes that each Get the same 10
// secrets at the same moment: with the Redis tier AWS sees 10 calls in all.
// (The moment is a rendezvous, not a requirement: a process that starts
// late finds the values in Redis, so the counts hold however slow the
// machine is.)
func TestFleetSingleFetch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 40 processes")
	}
	f := newFake(t)
	for i := range fleetSecrets {
		f.PutParameter(awsfake.Parameter{Name: fmt.Sprintf("/fleet/s%d", i), Value: fmt.Sprint(i), Type: "SecureString"})
	}
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	key := base64.StdEncoding.EncodeToString(k)
	addr := redisAddr(t)
	prefix := fmt.Sprintf("fleet-%d:", time.Now().UnixNano())

	run := func(redis string) int {
		f.ResetCalls()
		start := time.Now().Add(1500 * time.Millisecond)
		var wg sync.WaitGroup
		errs := make(chan string, fleetProcesses)
		for range fleetProcesses {
			wg.Go(func() {
				cmd := exec.Command(os.Args[0], "-test.run=^TestFleetChild$", "-test.count=1")
				cmd.Env = append(os.Environ(),
					"S1CRETS_FLEET_CHILD=1",
					"S1CRETS_FLEET_ENDPOINT="+f.URL(),
					"S1CRETS_FLEET_REDIS="+redis,
					"S1CRETS_FLEET_PREFIX="+prefix,
					"S1CRETS_CACHE_KEY="+key,
					"S1CRETS_FLEET_START="+strconv.FormatInt(start.UnixNano(), 10))
				if out, err := cmd.CombinedOutput(); err != nil {
					errs <- fmt.Sprintf("%v: %s", err, out)
				}
			})
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
		return f.Calls("GetParameter")
	}

	without := run("")
	assert.Equal(t, fleetProcesses*fleetSecrets, without, "without the shared tier every process fetches")
	with := run(addr)
	assert.Equal(t, fleetSecrets, with, "with the Redis tier the fleet fetches each secret once")
	t.Logf("%d processes x %d secrets: %d GetParameter calls without the Redis tier, %d with it",
		fleetProcesses, fleetSecrets, without, with)
}

// TestFleetChild is one process of TestFleetSingleFetch.
func TestFleetChild(t *testing.T) {
	if os.Getenv("S1CRETS_FLEET_CHILD") != "1" {
		t.Skip("run by TestFleetSingleFetch")
	}
	t.Setenv("AWS_ENDPOINT_URL", os.Getenv("S1CRETS_FLEET_ENDPOINT"))
	// The counts must not depend on how fast the machine is: 20 processes
	// with -race on a busy machine can make a Redis command or an answer of
	// the fake take far longer than the defaults allow (250ms, 5s), and a
	// timed-out Redis command or AWS attempt is one more GetParameter.
	cache := s1crets.CacheConfig{}
	if r := os.Getenv("S1CRETS_FLEET_REDIS"); r != "" {
		cache = s1crets.CacheConfig{RedisURL: r, RedisPrefix: os.Getenv("S1CRETS_FLEET_PREFIX"),
			RedisTimeout: time.Minute, RedisLockWait: 5 * time.Minute}
	}
	p, err := aws.NewParameterStore(ctx, s1crets.Cache(cache), s1crets.Timeout(5*time.Minute))
	require.NoError(t, err)
	closeAtEnd(t, p)
	at, _ := strconv.ParseInt(os.Getenv("S1CRETS_FLEET_START"), 10, 64)
	time.Sleep(time.Until(time.Unix(0, at)))
	for i := range fleetSecrets {
		v, err := p.Get(ctx, fmt.Sprintf("/fleet/s%d", i))
		require.NoError(t, err)
		require.Equal(t, fmt.Sprint(i), v.Text())
	}
}

func TestRedisTierWithAWS(t *testing.T) {
	f := newFake(t)
	f.PutSecretString("shared/s", "v1")
	cfg := s1crets.CacheConfig{RedisURL: redisAddr(t), RedisPrefix: fmt.Sprintf("t-%d:", time.Now().UnixNano()), EncryptionKey: s1crets.CacheKey(base64.StdEncoding.EncodeToString(make([]byte, 32)))}
	a, b := newSM(t, f, s1crets.Cache(cfg)), newSM(t, f, s1crets.Cache(cfg))
	_, err := a.Get(ctx, "shared/s")
	require.NoError(t, err)
	v, err := b.Get(ctx, "shared/s")
	require.NoError(t, err)
	assert.Equal(t, "v1", v.Text())
	assert.Equal(t, 1, f.Calls("GetSecretValue"), "the second provider reads Redis")
	assert.Equal(t, 2, f.Calls("GetCallerIdentity"), "each provider asks who it is, once")

	require.NoError(t, a.Update(ctx, "shared/s", "v2"))
	c := newSM(t, f, s1crets.Cache(cfg))
	v, err = c.Get(ctx, "shared/s")
	require.NoError(t, err)
	assert.Equal(t, "v2", v.Text(), "Update removed the key from the shared tier")
	assert.Equal(t, 3, f.Calls("GetCallerIdentity"), "each provider asks who it is, once")
	assert.True(t, strings.HasPrefix(cfg.RedisPrefix, "t-"))
}
