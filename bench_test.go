package s1crets_test

import (
	"testing"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/providers/memory"
)

func benchProvider(b *testing.B) *memory.Provider {
	p, err := memory.New(map[string]string{
		"/bench/plain": "hunter2",
		"/bench/json":  `{"db":{"user":"admin","password":"s3cr3t"}}`,
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, path := range []string{"/bench/plain", "/bench/json"} {
		if _, err := p.Get(ctx, path); err != nil {
			b.Fatal(err)
		}
	}
	return p
}

// BenchmarkCachedGet is a cache hit: target under 100 ns and 0 allocations.
func BenchmarkCachedGet(b *testing.B) {
	p := benchProvider(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Get(ctx, "/bench/plain"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCachedGetParallel is the same from GOMAXPROCS goroutines.
func BenchmarkCachedGetParallel(b *testing.B) {
	p := benchProvider(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := p.Get(ctx, "/bench/plain"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkCachedGetKeyPath is a cache hit with a key path lookup.
func BenchmarkCachedGetKeyPath(b *testing.B) {
	p := benchProvider(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Get(ctx, "/bench/json", s1crets.KeyPath("db", "password")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSimpleAPIGet is a cache hit through the provider name.
func BenchmarkSimpleAPIGet(b *testing.B) {
	if _, err := s1crets.Get(ctx, "example", "/prod/api/token"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s1crets.Get(ctx, "example", "/prod/api/token"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetManyCached reads 10 cached names in one call.
func BenchmarkGetManyCached(b *testing.B) {
	seed := map[string]string{}
	var names []string
	for i := range 10 {
		n := "/bench/many/" + string(rune('a'+i))
		seed[n] = "v"
		names = append(names, n)
	}
	p, err := memory.New(seed)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := p.GetMany(ctx, names); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.GetMany(ctx, names); err != nil {
			b.Fatal(err)
		}
	}
}
