package aws_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/awsfake"
)

// An outage of the store (every request answered 503) while a program
// reads one secret 50 times: one fetch of 3 attempts, then the backoff
// answers the other reads at once, with the stale value (MaxStale) or the
// last error. Without the backoff each read would make 3 requests: 150.
func TestBackoffDuringOutage(t *testing.T) {
	for _, s := range faultStores {
		for _, stale := range []bool{false, true} {
			name := s.name + "/error"
			if stale {
				name = s.name + "/stale"
			}
			t.Run(name, func(t *testing.T) {
				cfg := s1crets.CacheConfig{TTL: time.Millisecond, FailureBackoff: time.Hour}
				if stale {
					cfg.MaxStale = time.Hour
				}
				f, p := s.start(t, s1crets.Cache(cfg))
				_, err := p.Get(ctx, s.path)
				require.NoError(t, err)
				var down atomic.Bool
				down.Store(true)
				f.SetHook(func(r awsfake.Request) *awsfake.Fault {
					if down.Load() {
						return &awsfake.ServiceUnavailable
					}
					return nil
				})
				before := f.Calls(s.getOp)
				// Reads are hits until the entry expires; the first read after
				// that meets the outage.
				require.Eventually(t, func() bool {
					v, err := p.Get(ctx, s.path)
					if stale {
						return err == nil && v.Stale()
					}
					return err != nil
				}, time.Minute, time.Millisecond)
				for i := range 50 {
					v, err := p.Get(ctx, s.path)
					if stale {
						require.NoError(t, err, "read %d", i)
						assert.True(t, v.Stale())
					} else {
						require.Error(t, err, "read %d", i)
						assert.NotErrorIs(t, err, s1crets.ErrNotFound)
					}
				}
				assert.LessOrEqual(t, f.Calls(s.getOp)-before, 3, "at most one fetch (3 attempts) during the outage")
			})
		}
	}
}
