// Package drivertest is the conformance suite that every provider of
// s1crets passes: the behaviours of the original s1crets that do not depend
// on one store, through the root package's Client over the provider's
// driver.Store. A provider package runs it from a test:
//
//	func TestConformance(t *testing.T) {
//		drivertest.RunConformanceTests(t, drivertest.Harness{New: ..., Hierarchical: true})
//	}
//
// Each behaviour is also a test function of its own (TestGetPlain,
// TestKeyPath, ...), to run one alone.
package drivertest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
)

// Harness describes the provider under test.
type Harness struct {
	// New returns a fresh provider, with an empty cache, over a store that
	// holds seed (name to text value), and a function that counts the
	// remote calls made to that store so far.
	New func(t *testing.T, seed map[string]string) (s1crets.Provider, func() int)

	// Hierarchical is true for stores with "/" paths (Parameter Store,
	// memory): GetByPath and PathExists work on path segments. Otherwise
	// (Secrets Manager) GetByPath matches a name prefix and PathExists an
	// exact name.
	Hierarchical bool
}

// JSONSecret is the JSON document the suite seeds at /conf/db.
const JSONSecret = `{"user":"admin","port":5432,"zero":0,"empty":"","off":false,` +
	`"nested":{"k":"v"},"hosts":[{"name":"a","port":1},{"name":"b","port":2}]}`

// Seed is what every test of the suite starts from.
var Seed = map[string]string{
	"/conf/plain":       "hunter2-plain",
	"/conf/db":          JSONSecret,
	"/conf/app/a":       "value-a",
	"/conf/app/b/c":     "value-c",
	"/conf/apple":       "value-apple",
	"/conf/number":      "12345",
	"/conf/other/value": "value-other",
}

// secretValues are the seeded values that must never appear in errors.
var secretValues = []string{"hunter2-plain", "value-a", "value-c", "admin"}

// RunConformanceTests runs every test of the suite against the provider that
// h builds, each as a subtest named for its behaviour.
func RunConformanceTests(t *testing.T, h Harness) {
	for _, tc := range []struct {
		name string
		test func(*testing.T, Harness)
	}{
		{"GetPlain", TestGetPlain},
		{"GetJSON", TestGetJSON},
		{"KeyPath", TestKeyPath},
		{"Missing", TestMissing},
		{"Cache", TestCache},
		{"ConcurrentMisses", TestConcurrentMisses},
		{"GetByPath", TestGetByPath},
		{"PathExists", TestPathExists},
		{"Update", TestUpdate},
		{"BadInput", TestBadInput},
		{"NoSecretInErrors", TestNoSecretInErrors},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, h) })
	}
}

// newP returns a provider over the suite's Seed and its call counter.
func (h Harness) newP(t *testing.T) (s1crets.Provider, func() int) {
	t.Helper()
	return h.New(t, Seed)
}

var ctx = context.Background()

// TestGetPlain checks that a plain secret reads back as text, not JSON, not binary.
func TestGetPlain(t *testing.T, h Harness) {
	p, _ := h.newP(t)
	v, err := p.Get(ctx, "/conf/plain")
	require.NoError(t, err)
	assert.Equal(t, "hunter2-plain", v.Text())
	assert.False(t, v.IsJSON())
	assert.False(t, v.IsBinary())
	assert.Equal(t, "hunter2-plain", v.Interface())
}

// TestGetJSON checks that a JSON secret decodes.
func TestGetJSON(t *testing.T, h Harness) {
	p, _ := h.newP(t)
	v, err := p.Get(ctx, "/conf/db")
	require.NoError(t, err)
	assert.True(t, v.IsJSON())
	var got struct {
		User string `json:"user"`
		Port int    `json:"port"`
	}
	require.NoError(t, v.Decode(&got))
	assert.Equal(t, "admin", got.User)
	assert.Equal(t, 5432, got.Port)
	m, ok := v.Interface().(map[string]any)
	require.True(t, ok, "Interface of a JSON object is a map")
	assert.Equal(t, "admin", m["user"])
}

// TestKeyPath checks that key paths look into a JSON secret, after the cache.
func TestKeyPath(t *testing.T, h Harness) {
	p, calls := h.newP(t)
	cases := []struct {
		keys []string
		want string // Text of the result; "" with notFound
		nf   bool
	}{
		{[]string{"user"}, "admin", false},
		{[]string{"port"}, "5432", false},
		{[]string{"zero"}, "0", false},
		{[]string{"empty"}, "", false},
		{[]string{"off"}, "false", false},
		{[]string{"nested", "k"}, "v", false},
		{[]string{"hosts", "name"}, `["a","b"]`, false},
		{[]string{"hosts", "port"}, `[1,2]`, false},
		{[]string{"hosts", "1", "name"}, "b", false},
		{[]string{"hosts", "5"}, "", true},
		{[]string{"missing"}, "", true},
		{[]string{"nested", "missing"}, "", true},
		// A falsy value midway does not restart the lookup at the root
		// (the original's bug): "user" is not looked up at the top.
		{[]string{"zero", "user"}, "", true},
		{[]string{"empty", "user"}, "", true},
		{[]string{"off", "user"}, "", true},
		{[]string{"user", "x"}, "", true},
	}
	before := calls()
	for _, c := range cases {
		v, err := p.Get(ctx, "/conf/db", s1crets.KeyPath(c.keys...))
		if c.nf {
			assert.ErrorIs(t, err, s1crets.ErrNotFound, "keys %v", c.keys)
			continue
		}
		if assert.NoError(t, err, "keys %v", c.keys) {
			assert.Equal(t, c.want, v.Text(), "keys %v", c.keys)
		}
	}
	assert.Equal(t, 1, calls()-before, "every key path is served by one fetch")

	_, err := p.Get(ctx, "/conf/plain", s1crets.KeyPath("x"))
	assert.ErrorIs(t, err, s1crets.ErrNotFound, "a key path into a plain secret")
}

// TestMissing checks that a missing secret or key is ErrNotFound, or the Default.
func TestMissing(t *testing.T, h Harness) {
	p, _ := h.newP(t)
	_, err := p.Get(ctx, "/conf/nope")
	require.ErrorIs(t, err, s1crets.ErrNotFound)
	var e *s1crets.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "get", e.Op)
	assert.Equal(t, "/conf/nope", e.Path)
	assert.True(t, strings.HasPrefix(err.Error(), "s1crets: "), err.Error())

	v, err := p.Get(ctx, "/conf/nope", s1crets.Default("fallback"))
	require.NoError(t, err)
	assert.Equal(t, "fallback", v.Text())
	v, err = p.Get(ctx, "/conf/db", s1crets.KeyPath("nope"), s1crets.Default("fallback"))
	require.NoError(t, err)
	assert.Equal(t, "fallback", v.Text())
}

// TestCache checks that a second read comes from the cache.
func TestCache(t *testing.T, h Harness) {
	p, calls := h.newP(t)
	_, err := p.Get(ctx, "/conf/plain")
	require.NoError(t, err)
	n := calls()
	v, err := p.Get(ctx, "/conf/plain")
	require.NoError(t, err)
	assert.Equal(t, "hunter2-plain", v.Text())
	assert.Equal(t, n, calls(), "a second Get is served by the cache")
	_, err = p.Get(ctx, "/conf/plain", s1crets.NoCache())
	require.NoError(t, err)
	assert.Equal(t, n+1, calls(), "NoCache makes a remote call")
}

// TestConcurrentMisses checks that concurrent misses of one secret make one remote call.
func TestConcurrentMisses(t *testing.T, h Harness) {
	p, calls := h.newP(t)
	before := calls()
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for range 1000 {
		wg.Go(func() {
			v, err := p.Get(ctx, "/conf/app/a")
			if err == nil && v.Text() != "value-a" {
				err = errors.New("wrong value")
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	assert.Equal(t, 1, calls()-before, "1,000 concurrent Gets of one uncached name")
}

// TestGetByPath checks that GetByPath lists the secrets below a path and fills the cache.
func TestGetByPath(t *testing.T, h Harness) {
	p, calls := h.newP(t)
	m, err := p.GetByPath(ctx, "/conf/app")
	require.NoError(t, err)
	want := []string{"/conf/app/a", "/conf/app/b/c"}
	if !h.Hierarchical {
		want = append(want, "/conf/apple") // a name prefix, as the original
	}
	assert.ElementsMatch(t, want, keys(m))
	assert.Equal(t, "value-a", m["/conf/app/a"].Text())
	assert.Equal(t, "value-c", m["/conf/app/b/c"].Text())

	n := calls()
	m2, err := p.GetByPath(ctx, "/conf/app")
	require.NoError(t, err)
	assert.Equal(t, n, calls(), "a second GetByPath is served by the cache")
	assert.ElementsMatch(t, want, keys(m2))
	_, err = p.Get(ctx, "/conf/app/a")
	require.NoError(t, err)
	assert.Equal(t, n, calls(), "a Get after GetByPath is served by the cache")

	// Changing the returned map does not change the cache.
	delete(m2, "/conf/app/a")
	m3, err := p.GetByPath(ctx, "/conf/app")
	require.NoError(t, err)
	assert.Contains(t, m3, "/conf/app/a")

	if h.Hierarchical {
		m, err = p.GetByPath(ctx, "/conf/app", s1crets.Recursive(false))
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"/conf/app/a"}, keys(m))
	}
	m, err = p.GetByPath(ctx, "/nothing/here")
	require.NoError(t, err)
	assert.Empty(t, m)
}

// TestPathExists checks that PathExists answers for names, paths and key paths.
func TestPathExists(t *testing.T, h Harness) {
	p, _ := h.newP(t)
	cases := []struct {
		path string
		keys []string
		want bool
	}{
		{"/conf/plain", nil, true},
		{"/conf/nope", nil, false},
		{"/conf/ap", nil, false}, // a partial segment
		{"/conf/app", nil, h.Hierarchical},
		{"/conf/db", []string{"user"}, true},
		{"/conf/db", []string{"hosts", "name"}, true},
		{"/conf/db", []string{"nope"}, false},
		{"/conf/nope", []string{"user"}, false},
	}
	for _, c := range cases {
		got, err := p.PathExists(ctx, c.path, s1crets.KeyPath(c.keys...))
		require.NoError(t, err, "%s %v", c.path, c.keys)
		assert.Equal(t, c.want, got, "%s %v", c.path, c.keys)
	}
}

// TestUpdate checks that Update replaces a value and the next read sees it.
func TestUpdate(t *testing.T, h Harness) {
	p, _ := h.newP(t)
	v, err := p.Get(ctx, "/conf/app/a")
	require.NoError(t, err)
	require.Equal(t, "value-a", v.Text())
	m, err := p.GetByPath(ctx, "/conf/app")
	require.NoError(t, err)
	require.Equal(t, "value-a", m["/conf/app/a"].Text())

	require.NoError(t, p.Update(ctx, "/conf/app/a", "value-a2"))
	v, err = p.Get(ctx, "/conf/app/a")
	require.NoError(t, err)
	assert.Equal(t, "value-a2", v.Text(), "Get after Update returns the new value")
	m, err = p.GetByPath(ctx, "/conf/app")
	require.NoError(t, err)
	assert.Equal(t, "value-a2", m["/conf/app/a"].Text(), "GetByPath after Update returns the new value")

	err = p.Update(ctx, "/conf/nope", "x")
	assert.ErrorIs(t, err, s1crets.ErrNotFound)
	ok, err := p.PathExists(ctx, "/conf/nope")
	require.NoError(t, err)
	assert.False(t, ok, "a failed Update creates nothing")
}

// TestBadInput checks that bad input is ErrInvalid, before any remote call.
func TestBadInput(t *testing.T, h Harness) {
	p, calls := h.newP(t)
	before := calls()
	_, err := p.Get(ctx, "")
	assert.ErrorIs(t, err, s1crets.ErrInvalid)
	_, err = p.GetByPath(ctx, "")
	assert.ErrorIs(t, err, s1crets.ErrInvalid)
	assert.ErrorIs(t, p.Update(ctx, "", "x"), s1crets.ErrInvalid)
	_, err = p.PathExists(ctx, "")
	assert.ErrorIs(t, err, s1crets.ErrInvalid)
	_, err = p.Get(ctx, "/conf/plain", s1crets.Option{})
	assert.ErrorIs(t, err, s1crets.ErrInvalid)
	assert.ErrorContains(t, err, "zero Option")
	_, err = p.Get(ctx, "/conf/plain", s1crets.Retry(5))
	assert.ErrorIs(t, err, s1crets.ErrInvalid)
	assert.ErrorContains(t, err, "provider-level")
	assert.Equal(t, before, calls(), "bad input makes no remote call")
}

// TestNoSecretInErrors checks that no error message holds a secret value.
func TestNoSecretInErrors(t *testing.T, h Harness) {
	p, _ := h.newP(t)
	var errs []error
	_, err := p.Get(ctx, "/conf/db", s1crets.KeyPath("user", "deeper"))
	errs = append(errs, err)
	_, err = p.Get(ctx, "/conf/plain", s1crets.KeyPath("x"))
	errs = append(errs, err)
	v, err := p.Get(ctx, "/conf/db", s1crets.KeyPath("user"))
	require.NoError(t, err)
	var n int
	errs = append(errs, v.Decode(&n))
	for _, err := range errs {
		require.Error(t, err)
		for _, s := range secretValues {
			assert.NotContains(t, err.Error(), s)
			assert.NotContains(t, fmt.Sprintf("%+v", err), s)
		}
	}
}

func keys(m map[string]s1crets.Value) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
