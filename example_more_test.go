package s1crets_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/driver"
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

// registerOnce keeps ExampleRegister from registering twice under go test
// -count=N, which runs each example N times: Register panics on a name it
// knows.
var registerOnce sync.Once

func ExampleRegister() {
	// A provider package registers the Opener of its driver.Store once,
	// from init; here, an in-memory store named "example.register".
	registerOnce.Do(func() {
		s1crets.Register("example.register", func(ctx context.Context, cfg driver.Config) (driver.Store, error) {
			return newMapStore(map[string]string{"/k": "registered"}), nil
		})
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

func ExampleOpen_options() {
	// Provider-level options select the instance; the defaults spelled out
	// select the instance of the defaults. A per-call option is refused.
	ctx := context.Background()
	tuned, _ := s1crets.Open(ctx, "example", s1crets.Retry(5), s1crets.Timeout(2*time.Second))
	spelled, _ := s1crets.Open(ctx, "example", s1crets.Retry(s1crets.DefaultRetry), s1crets.Timeout(s1crets.DefaultTimeout))
	plain, _ := s1crets.Open(ctx, "example")
	fmt.Println(tuned == plain, spelled == plain)
	_, err := s1crets.Open(ctx, "example", s1crets.KeyPath("k"))
	fmt.Println(err)
	// Output:
	// false true
	// s1crets: open example: invalid argument: KeyPath is a per-call option: give it to Get, GetByPath, GetMany, Update or PathExists, not to Open or a constructor
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
	defer p.Close()
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
	defer p.Close()
	all, _ := p.GetByPath(ctx, "/app")
	top, _ := p.GetByPath(ctx, "/app", s1crets.Recursive(false))
	fmt.Println(slices.Sorted(maps.Keys(all)), slices.Sorted(maps.Keys(top)))
	// Output: [/app/a /app/sub/b] [/app/a]
}

// Decrypt, VersionStage, VersionID and FailOnError are for the AWS stores
// (see providers/aws); each is part of the cache key. A store refuses those
// that do not apply to it: the memory store has no versions.
func ExampleDecrypt() {
	ctx := context.Background()
	p, _ := memory.New(map[string]string{"/k": "v"})
	defer p.Close()
	_, _ = p.Get(ctx, "/k")
	_, _ = p.Get(ctx, "/k", s1crets.Decrypt(false)) // another cache entry: a read
	_, _ = p.Get(ctx, "/k", s1crets.Decrypt(false)) // cached
	_, _ = p.GetByPath(ctx, "/", s1crets.FailOnError(false))
	fmt.Println(p.Calls())
	_, err := p.Get(ctx, "/k", s1crets.VersionStage("AWSPREVIOUS"))
	fmt.Println(errors.Is(err, s1crets.ErrInvalid))
	// Output:
	// 3
	// true
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
	if p != nil {
		defer p.Close()
	}
	_, err = memory.New(nil, s1crets.Cache(s1crets.CacheConfig{Size: -1}))
	fmt.Println(errors.Is(err, s1crets.ErrInvalid))
	// Output:
	// true <nil>
	// true
}

func ExampleClient_GetMany() {
	ctx := context.Background()
	p, _ := memory.New(map[string]string{"/a": `{"k":"x"}`, "/b": `{"k":"y"}`})
	defer p.Close()
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
