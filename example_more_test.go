package s1crets_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/providers/memory"
)

func ExampleGetMany() {
	ctx := context.Background()
	res, err := s1crets.GetMany(ctx, "example", []string{"/prod/api/token", "/prod/api/url", "/prod/api/nope"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(res.Values), res.Missing)
	fmt.Println(errors.Is(res.Err(), s1crets.ErrNotFound))
	// Output:
	// 2 [/prod/api/nope]
	// true
}

func ExampleRegister() {
	// A provider package registers itself in init; here, an in-memory store
	// named "example.register".
	s1crets.Register("example.register", func(ctx context.Context, cfg s1crets.Config) (s1crets.Provider, error) {
		return memory.New(map[string]string{"/k": "registered"}, s1crets.Cache(cfg.Cache))
	})
	v, err := s1crets.Get(context.Background(), "example.register", "/k")
	fmt.Println(v.Text(), err)
	// Output: registered <nil>
}

func ExampleNewValue() {
	v := s1crets.NewValue(`{"port":5432}`)
	fmt.Println(v.IsJSON(), v.Text())
	p := s1crets.NewValue("hunter2")
	fmt.Println(p.IsJSON(), p.Interface())
	// Output:
	// true {"port":5432}
	// false hunter2
}

func ExampleNewBinaryValue() {
	v := s1crets.NewBinaryValue([]byte{0xde, 0xad})
	fmt.Println(v.IsBinary(), v.Bytes())
	// Output: true [222 173]
}

func ExampleNotFound() {
	// A Backend marks its store's "no such secret" error, keeping it
	// reachable.
	storeErr := errors.New("ParameterNotFound")
	err := s1crets.NotFound(storeErr)
	fmt.Println(errors.Is(err, s1crets.ErrNotFound), errors.Is(err, storeErr))
	// Output: true true
}

func ExampleParseConfig() {
	cfg, err := s1crets.ParseConfig(s1crets.Retry(5), s1crets.Timeout(2*time.Second))
	fmt.Println(cfg.Retry, cfg.Timeout, err)
	_, err = s1crets.ParseConfig(s1crets.KeyPath("k"))
	fmt.Println(err)
	// Output:
	// 5 2s <nil>
	// s1crets: invalid argument: KeyPath is a per-call option: give it to Get, GetByPath, Update or PathExists, not to Open
}

func ExampleKeyPath() {
	v, _ := s1crets.Get(context.Background(), "example", "/prod/db/root", s1crets.KeyPath("hosts", "1", "name"))
	fmt.Println(v.Text())
	// Output: db2
}

func ExampleDefault() {
	v, _ := s1crets.Get(context.Background(), "example", "/prod/db/root", s1crets.KeyPath("port"), s1crets.Default("3306"))
	fmt.Println(v.Text())
	// Output: 3306
}

func ExampleNoCache() {
	ctx := context.Background()
	p, _ := memory.New(map[string]string{"/k": "v1"})
	_, _ = p.Get(ctx, "/k")
	p.Put("/k", "v2") // another writer; the cache still holds v1
	cached, _ := p.Get(ctx, "/k")
	fresh, _ := p.Get(ctx, "/k", s1crets.NoCache())
	fmt.Println(cached.Text(), fresh.Text())
	// Output: v1 v2
}

func ExampleRecursive() {
	ctx := context.Background()
	p, _ := memory.New(map[string]string{"/app/a": "1", "/app/sub/b": "2"})
	all, _ := p.GetByPath(ctx, "/app")
	top, _ := p.GetByPath(ctx, "/app", s1crets.Recursive(false))
	fmt.Println(slices.Sorted(maps.Keys(all)), slices.Sorted(maps.Keys(top)))
	// Output: [/app/a /app/sub/b] [/app/a]
}

// Decrypt, VersionStage, VersionID and FailOnError are for the AWS stores
// (see providers/aws); each is part of the cache key.
func ExampleDecrypt() {
	ctx := context.Background()
	p, _ := memory.New(map[string]string{"/k": "v"})
	for _, o := range []s1crets.Option{s1crets.Decrypt(false), s1crets.VersionStage("AWSPREVIOUS"), s1crets.VersionID("v1")} {
		_, _ = p.Get(ctx, "/k", o)
	}
	_, _ = p.GetByPath(ctx, "/", s1crets.FailOnError(false))
	fmt.Println(p.Calls())
	// Output: 4
}

func ExampleRetry() {
	ctx := context.Background()
	a, _ := s1crets.Open(ctx, "example", s1crets.Retry(5), s1crets.Timeout(time.Second))
	b, _ := s1crets.Open(ctx, "example", s1crets.Retry(5), s1crets.Timeout(time.Second))
	c, _ := s1crets.Open(ctx, "example")
	fmt.Println(a == b, a == c)
	// Output: true false
}

func ExampleCache() {
	p, err := memory.New(nil, s1crets.Cache(s1crets.CacheConfig{Size: 10, TTL: time.Minute, MaxStale: time.Hour}))
	fmt.Println(p != nil, err)
	_, err = memory.New(nil, s1crets.Cache(s1crets.CacheConfig{Size: -1}))
	fmt.Println(errors.Is(err, s1crets.ErrInvalid))
	// Output:
	// true <nil>
	// true
}

func ExampleCached_GetMany() {
	ctx := context.Background()
	p, _ := memory.New(map[string]string{"/a": `{"k":"x"}`, "/b": `{"k":"y"}`})
	res, _ := p.GetMany(ctx, []string{"/a", "/b"}, s1crets.KeyPath("k"))
	fmt.Println(res.Values["/a"].Text(), res.Values["/b"].Text(), res.Err())
	// Output: x y <nil>
}

func ExampleValue_Stale() {
	// A value served past its expiry by CacheConfig.MaxStale, because AWS
	// was throttling or down, reports Stale() == true.
	v := s1crets.NewValue("fresh")
	fmt.Println(v.Stale())
	// Output: false
}
