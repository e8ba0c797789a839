package s1crets_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
)

// The store's Meta comes back with the value from memory, from the disk
// tier and from the shared tier, encrypted or not: a process that reads a
// secret from a tier sees the same ARN, version and date as the one that
// fetched it.
func TestMetaThroughTiers(t *testing.T) {
	ctx := context.Background()
	want := s1crets.Meta{Name: "db", ARN: "arn:fake:db", Version: "v1", Stages: []string{"AWSCURRENT"},
		Created: time.Unix(1_600_000_000, 500_000_000).UTC()}
	for _, tc := range []struct {
		name string
		cfg  func(t *testing.T) s1crets.CacheConfig
	}{
		{"disk", func(t *testing.T) s1crets.CacheConfig { return diskConfig(t, t.TempDir(), "") }},
		{"disk encrypted", func(t *testing.T) s1crets.CacheConfig { return diskConfig(t, t.TempDir(), newKey(t)) }},
		{"shared", func(t *testing.T) s1crets.CacheConfig { url, _ := sharedTier(t); return sharedCfg(url) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := newFakeStore(map[string]string{"db": `{"password":"p"}`})
			cfg := tc.cfg(t)
			first := open(t, store, cfg)
			v, err := first.Get(ctx, "db")
			require.NoError(t, err)
			assert.Equal(t, want, v.Meta(), "from the store")
			v, err = first.Get(ctx, "db")
			require.NoError(t, err)
			assert.Equal(t, want, v.Meta(), "from memory")

			second := open(t, store, cfg) // another process: its memory is empty
			v, err = second.Get(ctx, "db")
			require.NoError(t, err)
			assert.Equal(t, want, v.Meta(), "from the tier")
			assert.Equal(t, `{"password":"p"}`, v.Text())
			assert.EqualValues(t, 1, store.gets.Load(), "the second process read the tier, not the store")

			list, err := second.GetByPath(ctx, "d")
			require.NoError(t, err)
			assert.Equal(t, s1crets.Meta{}, list["db"].Meta(), "this store's listing says nothing more")
		})
	}
}

// Meta is a copy: changing what it returns changes nothing cached.
func TestMetaIsACopy(t *testing.T) {
	c := open(t, newFakeStore(map[string]string{"db": "x"}), s1crets.CacheConfig{})
	v, err := c.Get(context.Background(), "db")
	require.NoError(t, err)
	m := v.Meta()
	m.Stages[0] = "CHANGED"
	assert.Equal(t, []string{"AWSCURRENT"}, v.Meta().Stages)
	assert.Equal(t, s1crets.Meta{}, s1crets.NewValue("x").Meta())
	inner, err := s1crets.NewValue(`{"a":1}`).Lookup("a")
	require.NoError(t, err)
	assert.Equal(t, s1crets.Meta{}, inner.Meta(), "a value inside a secret has no Meta of its own")
}
