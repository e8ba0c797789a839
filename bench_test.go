package s1crets_test

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/providers/memory"
)

// benchProvider returns a memory provider with its secrets cached, closed
// when the benchmark ends.
func benchProvider(b *testing.B) *memory.Provider {
	p, err := memory.New(map[string]string{
		"/bench/plain": "hunter2",
		"/bench/json":  `{"db":{"user":"admin","password":"s3cr3t"}}`,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	for _, path := range []string{"/bench/plain", "/bench/json"} {
		if _, err := p.Get(ctx, path); err != nil {
			b.Fatal(err)
		}
	}
	return p
}

var sinkString string

// BenchmarkBareMap is the baseline of a cache hit: a lookup in a plain
// map[string]string of a similar key. A hit should cost within 3x of it.
func BenchmarkBareMap(b *testing.B) {
	m := map[string]string{"/bench/plain": "hunter2", "/bench/json": `{"db":{}}`}
	key := "/bench/plain"
	b.ReportAllocs()
	for b.Loop() {
		sinkString = m[key]
	}
}

// BenchmarkCachedGet is a cache hit: 0 allocations, within 3x of
// BenchmarkBareMap.
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

// BenchmarkCachedGetKeyPath is a cache hit with a key path lookup, the
// option built once as a program would: 0 allocations, within 2x of a
// plain hit.
func BenchmarkCachedGetKeyPath(b *testing.B) {
	p := benchProvider(b)
	kp := s1crets.KeyPath("db", "password")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Get(ctx, "/bench/json", kp); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSimpleAPIGet is a cache hit through the provider name.
func BenchmarkSimpleAPIGet(b *testing.B) {
	b.Cleanup(func() { _ = s1crets.Close() })
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
	b.Cleanup(func() { _ = p.Close() })
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

// filled returns a memory provider whose cache holds n entries, with room
// for a few more, and their names.
func filled(tb testing.TB, n int) (*memory.Provider, []string) {
	tb.Helper()
	seed := make(map[string]string, n)
	names := make([]string, n)
	for i := range n {
		names[i] = benchName(i)
		seed[names[i]] = "value-" + strconv.Itoa(i)
	}
	p, err := memory.New(seed, s1crets.Cache(s1crets.CacheConfig{Size: n + 10}))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = p.Close() })
	fill(tb, p, names)
	return p, names
}

// fill caches names by GetMany, 10,000 names a call.
func fill(tb testing.TB, p *memory.Provider, names []string) {
	tb.Helper()
	for len(names) > 0 {
		chunk := names[:min(len(names), 10_000)]
		names = names[len(chunk):]
		res, err := p.GetMany(ctx, chunk)
		if err == nil {
			err = res.Err()
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
}

func benchName(i int) string { return "/bench/miss/" + strconv.Itoa(i) }

// BenchmarkMiss is a miss in a cache of N entries: a NoCache read goes
// through the whole load pipeline to the memory store and writes the
// answer back into the cache (replacing the entry there, so that the cache
// stays at N). Its cost must not grow with N.
func BenchmarkMiss(b *testing.B) {
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			p, names := filled(b, n)
			calls := p.Calls()
			nc := s1crets.NoCache()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := p.Get(ctx, names[i%n], nc); err != nil {
					b.Fatal(err)
				}
				i++
			}
			if got := p.Calls() - calls; got != int64(i) {
				b.Fatalf("%d reads reached the store, want %d", got, i)
			}
		})
	}
}

// BenchmarkMemoryPerEntry reports the heap that a cached entry takes (a
// short text value, its name shared with the store's), in a cache of
// 100,000 entries.
func BenchmarkMemoryPerEntry(b *testing.B) {
	const n = 100_000
	var perEntry float64
	for b.Loop() {
		b.StopTimer()
		seed := make(map[string]string, n)
		names := make([]string, n)
		for i := range n {
			names[i] = benchName(i)
			seed[names[i]] = "value-" + strconv.Itoa(i)
		}
		p, err := memory.New(seed, s1crets.Cache(s1crets.CacheConfig{Size: n}))
		if err != nil {
			b.Fatal(err)
		}
		before := heapInUse()
		b.StartTimer()
		fill(b, p, names)
		b.StopTimer()
		perEntry = float64(heapInUse()-before) / n
		runtime.KeepAlive(seed)
		runtime.KeepAlive(names)
		_ = p.Close()
		b.StartTimer()
	}
	b.ReportMetric(perEntry, "B/entry")
}

func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
