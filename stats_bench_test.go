package s1crets_test

import (
	"testing"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/providers/memory"
)

// countedProvider is benchProvider with memory hits counted.
func countedProvider(b *testing.B, opts ...s1crets.Option) *memory.Provider {
	p, err := memory.New(map[string]string{"/bench/plain": "hunter2"}, opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	if _, err := p.Get(ctx, "/bench/plain"); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkCachedGetCounted is a cache hit with CacheConfig.CountHits: one
// atomic add more than BenchmarkCachedGet.
func BenchmarkCachedGetCounted(b *testing.B) {
	p := countedProvider(b, s1crets.Cache(s1crets.CacheConfig{CountHits: true}))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Get(ctx, "/bench/plain"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCachedGetCountedParallel is the same from GOMAXPROCS
// goroutines: the striped counter keeps them apart.
func BenchmarkCachedGetCountedParallel(b *testing.B) {
	p := countedProvider(b, s1crets.Cache(s1crets.CacheConfig{CountHits: true}))
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

// nopObserver is the cheapest Observer.
type nopObserver struct{}

func (*nopObserver) Observe(s1crets.Event) {}

// BenchmarkCachedGetObserved is a cache hit that an Observer that does
// nothing receives: 0 allocations.
func BenchmarkCachedGetObserved(b *testing.B) {
	p := countedProvider(b, s1crets.Observe(&nopObserver{}))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Get(ctx, "/bench/plain"); err != nil {
			b.Fatal(err)
		}
	}
}
