package aws_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/awsfake"
	"github.com/s1crets/s1crets/providers/aws"
)

// Providers own what they start: 40 providers that read (each with its
// own keep-alive connections, disk tier and identity) and are closed leave
// no goroutine behind. Without Close releasing the transports' idle
// connections, each left two goroutines per connection.
func TestCloseLeavesNothingRunning(t *testing.T) {
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/close/p", Value: "v", Type: "String"})
	f.PutSecretString("close/s", "v")
	opts := func() []aws.Option {
		return []aws.Option{aws.WithConfig(f.Config(ctx)), s1crets.Cache(s1crets.CacheConfig{
			OnDisk: true, KeyCacheDir: t.TempDir(), PathCacheDir: t.TempDir(), RedisPlaintext: true,
		})}
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for i := range 20 {
		ps, err := aws.NewParameterStore(ctx, opts()...)
		require.NoError(t, err)
		_, err = ps.Get(ctx, "/close/p")
		require.NoError(t, err, "provider %d", i)
		sm, err := aws.NewSecretsManager(ctx, opts()...)
		require.NoError(t, err)
		_, err = sm.Get(ctx, "close/s")
		require.NoError(t, err, fmt.Sprint("provider ", i))
		require.NoError(t, ps.Close())
		require.NoError(t, sm.Close())
	}
}
