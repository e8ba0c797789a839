package aws_test

import (
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/parity/motoenv"
)

// The freshness controls against moto: a rotation made outside the
// process (PutSecretValue by another client) is seen through MaxAge(0) and
// after Invalidate; a Watch hears an Update at once; a missing secret is
// remembered for NegativeTTL.
func TestIntegrationFreshness(t *testing.T) {
	motoenv.URL(t)
	m := newMoto(t)
	m.putSecret(t, "fresh/db", "pw-1")
	sm, calls := m.newSM(t, s1crets.Cache(s1crets.CacheConfig{NegativeTTL: time.Hour}))

	v, err := sm.Get(ctx, "fresh/db")
	require.NoError(t, err)
	assert.Equal(t, "pw-1", v.Text())
	_, err = m.sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: awssdk.String("fresh/db"), SecretString: awssdk.String("pw-2")})
	require.NoError(t, err)

	v, _ = sm.Get(ctx, "fresh/db", s1crets.MaxAge(time.Hour))
	assert.Equal(t, "pw-1", v.Text(), "young enough: from the cache")
	v, err = sm.Get(ctx, "fresh/db", s1crets.MaxAge(0))
	require.NoError(t, err)
	assert.Equal(t, "pw-2", v.Text(), "MaxAge(0): from AWS")

	_, err = m.sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: awssdk.String("fresh/db"), SecretString: awssdk.String("pw-3")})
	require.NoError(t, err)
	require.NoError(t, sm.Invalidate(ctx, "fresh/db"))
	v, err = sm.Get(ctx, "fresh/db")
	require.NoError(t, err)
	assert.Equal(t, "pw-3", v.Text(), "after Invalidate: from AWS")

	changes := make(chan string, 4)
	cur, stop, err := sm.Watch(ctx, "fresh/db", func(v s1crets.Value) { changes <- v.Text() })
	require.NoError(t, err)
	defer stop()
	assert.Equal(t, "pw-3", cur.Text())
	require.NoError(t, sm.Update(ctx, "fresh/db", "pw-4"))
	assert.Equal(t, "pw-4", <-changes)

	before := calls.Calls("GetSecretValue")
	for range 20 {
		_, err = sm.Get(ctx, "fresh/optional")
		require.ErrorIs(t, err, s1crets.ErrNotFound)
	}
	assert.Equal(t, before+1, calls.Calls("GetSecretValue"), "a missing secret asked once in NegativeTTL")
}
