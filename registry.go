package s1crets

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/s1crets/s1crets/driver"
)

const awsImport = `_ "github.com/s1crets/s1crets/providers/aws"`

var registry struct {
	mu     sync.Mutex // guards names, open and building
	names  map[string]driver.Opener
	open   map[instanceKey]*Client
	builds map[instanceKey]*build // constructions in progress
}

// build is a construction in progress, that concurrent Opens of one
// instance share.
type build struct {
	done chan struct{}
	c    *Client
	err  error
}

// defaults holds the instances with the default options, by name, for a
// lock-free lookup by the simple API. Written under registry.mu.
var defaults atomic.Pointer[map[string]*Client]

func init() { defaults.Store(&map[string]*Client{}) }

// instanceKey identifies a memoized instance: the provider's name and the
// provider-level settings with their defaults filled in.
type instanceKey struct {
	name    string
	retry   int
	timeout int64
	cache   CacheConfig
	obs     [maxObservers]Observer
	extra   string // the provider's own settings, printed
}

func keyFor(name string, s settings) (instanceKey, error) {
	k := instanceKey{name: name, retry: s.retry, timeout: int64(s.timeout), cache: s.cache, obs: s.observers}
	for _, o := range s.observers {
		if o != nil && !reflect.TypeOf(o).Comparable() {
			return k, invalidf("the Observer %T cannot select a shared instance (it is not comparable): give Open and the simple API a pointer, or give it to the provider's constructor", o)
		}
	}
	var b strings.Builder
	for _, x := range s.extra {
		if t := reflect.TypeOf(x); !t.Comparable() {
			return k, invalidf("the option %T cannot select a shared instance (it is not comparable): give it to the provider's constructor instead of Open or the simple API", x)
		}
		fmt.Fprintf(&b, "%T:%#v;", x, x)
	}
	k.extra = b.String()
	return k, nil
}

var defaultSettings = func() settings {
	s, _ := parseProvider(nil)
	return s
}()

// Register makes a provider available by name to Open and the simple API.
// It panics if open is nil or name is empty or already registered, as
// sql.Register does; provider packages call it from init.
func Register(name string, open driver.Opener) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if name == "" {
		panic("s1crets: Register with an empty name")
	}
	if open == nil {
		panic("s1crets: Register " + name + " with a nil driver.Opener")
	}
	if _, dup := registry.names[name]; dup {
		panic("s1crets: Register called twice for provider " + name)
	}
	if registry.names == nil {
		registry.names = map[string]driver.Opener{}
		registry.open = map[instanceKey]*Client{}
		registry.builds = map[instanceKey]*build{}
	}
	registry.names[name] = open
}

// Providers returns the sorted names of the registered providers.
func Providers() []string {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	names := make([]string, 0, len(registry.names))
	for n := range registry.names {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Open returns the provider registered as name, configured by the
// provider-level options (Retry, Timeout, Cache and the provider's own).
// The same name and options give the same instance, and so the same cache,
// as the original memoizes its providers; options that spell out a default
// give the instance of the default. A failed construction is not
// remembered. Close closes every instance that Open made. Safe for
// concurrent use.
func Open(ctx context.Context, name string, opts ...Option) (*Client, error) {
	if ctx == nil {
		return nil, &Error{Op: "open", Provider: name, Err: errNilContext}
	}
	s, err := parseProvider(opts)
	if err != nil {
		return nil, &Error{Op: "open", Provider: name, Err: err}
	}
	return open(ctx, name, s)
}

func open(ctx context.Context, name string, s settings) (*Client, error) {
	k, err := keyFor(name, s)
	if err != nil {
		return nil, &Error{Op: "open", Provider: name, Err: err}
	}
	registry.mu.Lock()
	if c, ok := registry.open[k]; ok {
		registry.mu.Unlock()
		return c, nil
	}
	fn := registry.names[name]
	if fn == nil {
		registry.mu.Unlock()
		return nil, unknown(name)
	}
	b, building := registry.builds[k]
	if !building {
		b = &build{done: make(chan struct{})}
		registry.builds[k] = b
	}
	registry.mu.Unlock()
	if !building {
		go func() {
			b.c, b.err = newClient(context.WithoutCancel(ctx), name, fn, s)
			registry.mu.Lock()
			delete(registry.builds, k)
			if b.err == nil {
				registry.open[k] = b.c
				if len(s.extra) == 0 && k == defaultKey(name) {
					m := make(map[string]*Client, len(*defaults.Load())+1)
					for n, c := range *defaults.Load() {
						m[n] = c
					}
					m[name] = b.c
					defaults.Store(&m)
				}
			}
			registry.mu.Unlock()
			close(b.done)
		}()
	}
	select {
	case <-b.done:
		if b.err != nil {
			return nil, b.err // already an *Error of op "new": the construction failed
		}
		return b.c, nil
	case <-ctx.Done():
		return nil, &Error{Op: "open", Provider: name, Err: ctx.Err()}
	}
}

func defaultKey(name string) instanceKey {
	k, _ := keyFor(name, defaultSettings)
	return k
}

// Close closes every instance that Open and the simple API made, and
// forgets them: the next Open builds anew. Providers built by their
// package's constructor are closed by their own Close.
func Close() error {
	registry.mu.Lock()
	all := make([]*Client, 0, len(registry.open))
	for k, c := range registry.open {
		all = append(all, c)
		delete(registry.open, k)
	}
	defaults.Store(&map[string]*Client{})
	registry.mu.Unlock()
	var errs []error
	for _, c := range all {
		if err := c.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return &Error{Op: "close", Err: joinErrors(errs)}
	}
	return nil
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
	return &Error{Op: "open", Err: &reason{ErrUnknownProvider, fmt.Sprintf("%s; registered providers: %s; the import %s registers aws.ps and aws.sm",
		what, known, awsImport)}}
}
