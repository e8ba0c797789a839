package s1crets_test

// Stress tests for the race detector: many goroutines mix Get, GetByPath,
// Update and PathExists on one provider. Each goroutine owns one secret,
// which only it updates: it must always read its own last write
// (read-your-writes), through Get and GetByPath, whatever the others do to
// the cache. Shared secrets that nobody updates must always read as seeded,
// and a secret that everybody updates must always hold one of the values
// written.

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/awsfake"
	"github.com/s1crets/s1crets/providers/aws"
	"github.com/s1crets/s1crets/providers/memory"
)

// stressLayout names the secrets of a stress run under root.
type stressLayout struct {
	root string
	// dir turns a directory into what GetByPath takes: itself for
	// hierarchical stores, with a trailing "/" for Secrets Manager's name
	// prefix.
	dir func(string) string
}

const (
	stressShared     = 8
	stressSharedJSON = `{"list":[{"v":"a"},{"v":"b"}],"n":1}`
)

func (l stressLayout) shared(i int) string { return fmt.Sprintf("%s/shared/k%d", l.root, i) }
func (l stressLayout) json() string        { return l.root + "/shared/json" }
func (l stressLayout) own(g int) string    { return fmt.Sprintf("%s/g%03d/own", l.root, g) }
func (l stressLayout) contended() string   { return l.root + "/contended" }

func sharedValue(i int) string { return fmt.Sprintf("shared-%d", i) }

// seed returns the initial contents for goroutines owners.
func (l stressLayout) seed(goroutines int) map[string]string {
	m := map[string]string{l.json(): stressSharedJSON, l.contended(): "c-seed"}
	for i := range stressShared {
		m[l.shared(i)] = sharedValue(i)
	}
	for g := range goroutines {
		m[l.own(g)] = fmt.Sprintf("g%d-seed", g)
	}
	return m
}

// validContended reports whether s is a value some goroutine wrote to the
// contended secret, or its seed.
func validContended(s string) bool {
	if s == "c-seed" {
		return true
	}
	var g, i int
	n, err := fmt.Sscanf(s, "c-%d-%d", &g, &i)
	return err == nil && n == 2 && s == fmt.Sprintf("c-%d-%d", g, i)
}

// runStress runs goroutines x iterations of random operations on p and
// checks what every goroutine reads.
func runStress(t *testing.T, p s1crets.Provider, l stressLayout, goroutines, iterations int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute) // a hang guard
	defer cancel()
	var wg sync.WaitGroup
	last := make([]string, goroutines) // each goroutine's last write, read after Wait
	for g := range goroutines {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 42))
			mine := fmt.Sprintf("g%d-seed", g)
			defer func() { last[g] = mine }()
			check := func(op string, err error) bool {
				return assert.NoError(t, err, "goroutine %d: %s", g, op)
			}
			for i := range iterations {
				switch rng.IntN(8) {
				case 0:
					k := rng.IntN(stressShared)
					v, err := p.Get(ctx, l.shared(k))
					if check("get shared", err) {
						assert.Equal(t, sharedValue(k), v.Text())
					}
				case 1:
					v, err := p.Get(ctx, l.json(), s1crets.KeyPath("list", "v"))
					if check("get key path", err) {
						assert.Equal(t, `["a","b"]`, v.Text())
					}
				case 2:
					m, err := p.GetByPath(ctx, l.dir(l.root+"/shared"))
					if check("get-by-path shared", err) && assert.Len(t, m, stressShared+1) {
						for k := range stressShared {
							assert.Equal(t, sharedValue(k), m[l.shared(k)].Text())
						}
					}
				case 3:
					ok, err := p.PathExists(ctx, l.own(g))
					check("path-exists own", err)
					assert.True(t, ok)
					ok, err = p.PathExists(ctx, l.root+"/none")
					check("path-exists none", err)
					assert.False(t, ok)
				case 4, 5:
					mine = fmt.Sprintf("g%d-%d", g, i)
					if !check("update own", p.Update(ctx, l.own(g), mine)) {
						return
					}
					var opts []s1crets.Option
					if rng.IntN(4) == 0 {
						opts = append(opts, s1crets.NoCache())
					}
					v, err := p.Get(ctx, l.own(g), opts...)
					if check("get own", err) {
						assert.Equal(t, mine, v.Text(), "goroutine %d reads its own write", g)
					}
				case 6:
					m, err := p.GetByPath(ctx, l.dir(fmt.Sprintf("%s/g%03d", l.root, g)))
					if check("get-by-path own", err) {
						assert.Equal(t, mine, m[l.own(g)].Text(), "goroutine %d reads its own write in a listing", g)
					}
				case 7:
					w := fmt.Sprintf("c-%d-%d", g, i)
					check("update contended", p.Update(ctx, l.contended(), w))
					v, err := p.Get(ctx, l.contended())
					if check("get contended", err) {
						assert.True(t, validContended(v.Text()), "contended value %q", v.Text())
					}
				}
				v, err := p.Get(ctx, l.own(g))
				if check("get own again", err) {
					assert.Equal(t, mine, v.Text(), "goroutine %d reads its own write", g)
				}
			}
		})
	}
	wg.Wait()

	all, err := p.GetByPath(ctx, l.dir(l.root))
	require.NoError(t, err)
	for g := range goroutines {
		v, err := p.Get(ctx, l.own(g))
		require.NoError(t, err)
		assert.Equal(t, last[g], v.Text())
		v, err = p.Get(ctx, l.own(g), s1crets.NoCache())
		require.NoError(t, err)
		assert.Equal(t, last[g], v.Text())
		assert.Equal(t, last[g], all[l.own(g)].Text())
	}
	fresh, err := p.Get(ctx, l.contended(), s1crets.NoCache())
	require.NoError(t, err)
	assert.True(t, validContended(fresh.Text()))
	cached, err := p.Get(ctx, l.contended())
	require.NoError(t, err)
	assert.Equal(t, fresh.Text(), cached.Text(), "no write after the last: the cache agrees with the store")
}

var hierarchical = stressLayout{root: "/stress", dir: func(d string) string { return d }}

// 64 goroutines on the memory provider, with each kind of cache.
func TestStressMemory(t *testing.T) {
	const goroutines, iterations = 64, 40
	for name, cfg := range map[string]s1crets.CacheConfig{
		"default":       {},
		"tiny":          {Size: 4},
		"disabled":      {Disabled: true},
		"short-ttl":     {TTL: 2 * time.Millisecond},
		"refresh-ahead": {TTL: 5 * time.Millisecond, RefreshAhead: 3 * time.Millisecond, Jitter: time.Millisecond},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := memory.New(hierarchical.seed(goroutines), s1crets.Cache(cfg))
			require.NoError(t, err)
			defer func() { assert.NoError(t, p.Close()) }()
			runStress(t, p, hierarchical, goroutines, iterations)
		})
	}
}

// The same through the AWS providers and the real SDK clients, against the
// in-process fake, with fewer iterations.
func TestStressAWS(t *testing.T) {
	if testing.Short() {
		t.Skip("many HTTP round trips")
	}
	ctx := context.Background()
	t.Run("aws.ps", func(t *testing.T) {
		const goroutines, iterations = 64, 4
		f := awsfake.New()
		defer f.Close()
		for name, value := range hierarchical.seed(goroutines) {
			f.PutParameter(awsfake.Parameter{Name: name, Value: value, Type: "SecureString"})
		}
		p, err := aws.NewParameterStore(ctx, aws.WithConfig(f.Config(ctx)))
		require.NoError(t, err)
		defer func() { assert.NoError(t, p.Close()) }()
		runStress(t, p, hierarchical, goroutines, iterations)
	})
	t.Run("aws.sm", func(t *testing.T) {
		const goroutines, iterations = 32, 4
		l := stressLayout{root: "stress", dir: func(d string) string { return strings.TrimSuffix(d, "/") + "/" }}
		f := awsfake.New()
		defer f.Close()
		for name, value := range l.seed(goroutines) {
			f.PutSecretString(name, value)
		}
		p, err := aws.NewSecretsManager(ctx, aws.WithConfig(f.Config(ctx)))
		require.NoError(t, err)
		defer func() { assert.NoError(t, p.Close()) }()
		runStress(t, p, l, goroutines, iterations)
	})
}
