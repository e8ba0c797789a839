package s1crets

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/singleflight"
)

// Provider is a secret store. *aws.ParameterStore, *aws.SecretsManager and
// the memory provider implement it, all through Cached. Implementations are
// safe for concurrent use.
type Provider interface {
	// Get returns the secret at path; ErrNotFound when it does not exist.
	Get(ctx context.Context, path string, opts ...Option) (Value, error)
	// GetByPath returns the secrets below path by their full names.
	GetByPath(ctx context.Context, path string, opts ...Option) (map[string]Value, error)
	// Update replaces the value of the existing secret at path.
	Update(ctx context.Context, path, value string, opts ...Option) error
	// PathExists reports whether path (and the KeyPath, if given) exists.
	PathExists(ctx context.Context, path string, opts ...Option) (bool, error)
}

// OpenFunc builds a provider from the provider-level options. Provider
// packages register one with Register.
type OpenFunc func(ctx context.Context, cfg Config) (Provider, error)

const awsImport = `_ "github.com/s1crets/s1crets/providers/aws"`

var registry struct {
	mu    sync.RWMutex // guards byName and open
	names map[string]OpenFunc
	open  map[instanceKey]Provider

	flight singleflight.Group // one construction per instanceKey at a time
}

// defaults holds the instances with the default options, by name, for a
// lock-free lookup by the simple API. Written under registry.mu.
var defaults = func() *atomic.Pointer[map[string]Provider] {
	var p atomic.Pointer[map[string]Provider]
	p.Store(&map[string]Provider{})
	return &p
}()

// instanceKey identifies a memoized provider instance.
type instanceKey struct {
	name string
	cfg  Config
}

// Register makes a provider available by name to Open and the simple API.
// It panics if open is nil or name is empty or already registered, as
// sql.Register does; provider packages call it from init.
func Register(name string, open OpenFunc) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if name == "" {
		panic("s1crets: Register with an empty name")
	}
	if open == nil {
		panic("s1crets: Register " + name + " with a nil OpenFunc")
	}
	if _, dup := registry.names[name]; dup {
		panic("s1crets: Register called twice for provider " + name)
	}
	if registry.names == nil {
		registry.names = make(map[string]OpenFunc)
		registry.open = make(map[instanceKey]Provider)
	}
	registry.names[name] = open
}

// Providers returns the sorted names of the registered providers.
func Providers() []string {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	names := make([]string, 0, len(registry.names))
	for n := range registry.names {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Open returns the provider registered as name, configured by the
// provider-level options (Retry, Timeout, Cache). The same name and options
// give the same instance, and so the same cache, as the original memoizes its
// providers; a failed construction is not remembered. Safe for concurrent use.
func Open(ctx context.Context, name string, opts ...Option) (Provider, error) {
	cfg, err := parseConfig(opts)
	if err != nil {
		return nil, &Error{Op: "open", Provider: name, Err: err}
	}
	return open(ctx, instanceKey{name, cfg})
}

func open(ctx context.Context, k instanceKey) (Provider, error) {
	if k.cfg == (Config{}) {
		if p, ok := (*defaults.Load())[k.name]; ok {
			return p, nil
		}
	}
	registry.mu.RLock()
	p, ok := registry.open[k]
	fn := registry.names[k.name]
	registry.mu.RUnlock()
	if ok {
		return p, nil
	}
	if fn == nil {
		return nil, unknown(k.name)
	}
	return construct(ctx, k, fn)
}

// construct builds and memoizes the instance for k, once for concurrent
// callers. It is apart from open so that a memoized hit allocates nothing.
func construct(ctx context.Context, k instanceKey, fn OpenFunc) (Provider, error) {
	ch := registry.flight.DoChan(flightName(k), func() (any, error) {
		registry.mu.RLock()
		p, ok := registry.open[k]
		registry.mu.RUnlock()
		if ok {
			return p, nil
		}
		p, err := fn(context.WithoutCancel(ctx), k.cfg)
		if err != nil {
			return nil, err
		}
		if p == nil {
			return nil, errors.New("s1crets: provider " + k.name + " returned a nil Provider")
		}
		registry.mu.Lock()
		registry.open[k] = p
		if k.cfg == (Config{}) {
			m := maps.Clone(*defaults.Load())
			m[k.name] = p
			defaults.Store(&m)
		}
		registry.mu.Unlock()
		return p, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, &Error{Op: "open", Provider: k.name, Err: r.Err}
		}
		return r.Val.(Provider), nil
	case <-ctx.Done():
		return nil, &Error{Op: "open", Provider: k.name, Err: ctx.Err()}
	}
}

func flightName(k instanceKey) string {
	// %+v prints the EncryptionKey redacted: its digest tells keys apart.
	return fmt.Sprintf("%q %+v %s", k.name, k.cfg, hashKey(k.cfg.Cache.EncryptionKey))
}

func unknown(name string) error {
	known := strings.Join(Providers(), ", ")
	if known == "" {
		known = "none"
	}
	what := strconv.Quote(name)
	if name == "" {
		what = "(empty name)"
	}
	return &Error{Op: "open", Err: fmt.Errorf("%w %s; registered providers: %s; the import %s registers aws.ps and aws.sm",
		ErrUnknownProvider, what, known, awsImport)}
}
