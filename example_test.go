package s1crets_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/driver"
)

// The examples use a provider registered as "example": an in-memory store
// with a few secrets (each instance starts with them). With the AWS
// providers, the name is "aws.sm" or "aws.ps" after the blank import of
// providers/aws.
func init() {
	s1crets.Register("example", func(ctx context.Context, cfg driver.Config) (driver.Store, error) {
		return newMapStore(map[string]string{
			"/prod/db/root":   `{"user":"admin","password":"s3cr3t","hosts":[{"name":"db1"},{"name":"db2"}]}`,
			"/prod/api/token": "tok-123",
			"/prod/api/url":   "https://api.example.com",
		}), nil
	})
}

func ExampleGet() {
	ctx := context.Background()
	v, err := s1crets.Get(ctx, "example", "/prod/api/token")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v)        // a Value never prints its secret
	fmt.Println(v.Text()) // Text returns it
	// Output:
	// [REDACTED]
	// tok-123
}

func ExampleGet_keyPath() {
	ctx := context.Background()
	user, _ := s1crets.Get(ctx, "example", "/prod/db/root", s1crets.KeyPath("user"))
	hosts, _ := s1crets.Get(ctx, "example", "/prod/db/root", s1crets.KeyPath("hosts", "name"))
	first, _ := s1crets.Get(ctx, "example", "/prod/db/root", s1crets.KeyPath("hosts", "0", "name"))
	fmt.Println(user.Text(), hosts.Text(), first.Text())
	// Output: admin ["db1","db2"] db1
}

func ExampleGet_default() {
	ctx := context.Background()
	_, err := s1crets.Get(ctx, "example", "/prod/missing")
	fmt.Println(errors.Is(err, s1crets.ErrNotFound))
	fmt.Println(err)
	v, _ := s1crets.Get(ctx, "example", "/prod/missing", s1crets.Default("fallback"))
	fmt.Println(v.Text())
	// Output:
	// true
	// s1crets: get example "/prod/missing": not found
	// fallback
}

func ExampleGetByPath() {
	ctx := context.Background()
	secrets, err := s1crets.GetByPath(ctx, "example", "/prod/api")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range slices.Sorted(maps.Keys(secrets)) {
		fmt.Println(name, secrets[name].Text())
	}
	// Output:
	// /prod/api/token tok-123
	// /prod/api/url https://api.example.com
}

func ExamplePathExists() {
	ctx := context.Background()
	for _, path := range []string{"/prod/api/token", "/prod/api", "/prod/ap", "/staging"} {
		ok, _ := s1crets.PathExists(ctx, "example", path)
		fmt.Println(path, ok)
	}
	ok, _ := s1crets.PathExists(ctx, "example", "/prod/db/root", s1crets.KeyPath("password"))
	fmt.Println("password key", ok)
	// Output:
	// /prod/api/token true
	// /prod/api true
	// /prod/ap false
	// /staging false
	// password key true
}

func ExampleUpdate() {
	ctx := context.Background()
	if err := s1crets.Update(ctx, "example", "/prod/api/url", "https://api2.example.com"); err != nil {
		fmt.Println(err)
		return
	}
	v, _ := s1crets.Get(ctx, "example", "/prod/api/url")
	fmt.Println(v.Text())
	err := s1crets.Update(ctx, "example", "/prod/api/nope", "x")
	fmt.Println(errors.Is(err, s1crets.ErrNotFound))
	// Output:
	// https://api2.example.com
	// true
}

func ExampleOpen() {
	ctx := context.Background()
	p, err := s1crets.Open(ctx, "example", s1crets.Cache(s1crets.CacheConfig{Size: 10}))
	if err != nil {
		fmt.Println(err)
		return
	}
	same, _ := s1crets.Open(ctx, "example", s1crets.Cache(s1crets.CacheConfig{Size: 10}))
	fmt.Println(p == same)
	v, _ := p.Get(ctx, "/prod/api/token")
	fmt.Println(v.Text())
	// Output:
	// true
	// tok-123
}

func ExampleProviders() {
	for _, name := range s1crets.Providers() {
		if name == "example" || name == "memory" {
			fmt.Println(name)
		}
	}
	// Output:
	// example
	// memory
}

func ExampleValue_Decode() {
	v := s1crets.NewValue(`{"user":"admin","password":"s3cr3t"}`)
	var creds struct {
		User     string `json:"user"`
		Password string `json:"password"`
	}
	if err := v.Decode(&creds); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(creds.User)
	// Output: admin
}

func ExampleValue_Lookup() {
	v := s1crets.NewValue(`{"db":[{"host":"a","port":1},{"host":"b","port":2}]}`)
	hosts, _ := v.Lookup("db", "host")
	port, _ := v.Lookup("db", "1", "port")
	_, err := v.Lookup("db", "user")
	fmt.Println(hosts.Text(), port.Text(), errors.Is(err, s1crets.ErrNotFound))
	// Output: ["a","b"] 2 true
}

func ExampleValue_String() {
	v := s1crets.NewValue("hunter2")
	fmt.Printf("%v %s %q %#v\n", v, v, v, v)
	// Output: [REDACTED] [REDACTED] [REDACTED] [REDACTED]
}

// staticStore is a driver.Store with one secret, to show New.
type staticStore struct{}

// errNoSuchSecret is the store's own error for a missing secret.
var errNoSuchSecret = errors.New("no such secret")

func (staticStore) Get(ctx context.Context, name string, q driver.Query) (driver.Secret, error) {
	if name == "/only" {
		return driver.Secret{Text: "the-one"}, nil
	}
	// A store marks its not-found errors, keeping its own error reachable.
	return driver.Secret{}, driver.NotFound(errNoSuchSecret)
}

func (staticStore) GetByPath(ctx context.Context, path string, q driver.Query) (map[string]driver.Secret, error) {
	return map[string]driver.Secret{"/only": {Text: "the-one"}}, nil
}

func (staticStore) Update(ctx context.Context, name, value string) (string, error) {
	return "", errors.New("read-only store")
}

func ExampleNew() {
	ctx := context.Background()
	p, err := s1crets.New(ctx, "static", func(ctx context.Context, cfg driver.Config) (driver.Store, error) {
		return staticStore{}, nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	v, _ := p.Get(ctx, "/only")
	fmt.Println(v.Text())
	_, err = p.Get(ctx, "/other")
	fmt.Println(errors.Is(err, s1crets.ErrNotFound), errors.Is(err, errNoSuchSecret))
	fmt.Println(p.Update(ctx, "/only", "x"))
	// Output:
	// the-one
	// true true
	// s1crets: update static "/only": the store refused the update; its message is withheld because it may quote the value
}
