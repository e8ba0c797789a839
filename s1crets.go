// Package s1crets reads and updates secrets in AWS Secrets Manager and
// Parameter Store through one small API with caching, JSON key paths,
// assume-role and region handling. It is the Go port of the Python library
// of the same name.
//
// The root package is provider-agnostic, like database/sql: providers
// register themselves by name. The AWS ones, "aws.sm" (Secrets Manager) and
// "aws.ps" (Parameter Store), come with a blank import:
//
//	import (
//		"github.com/s1crets/s1crets"
//		_ "github.com/s1crets/s1crets/providers/aws"
//	)
//
//	v, err := s1crets.Get(ctx, "aws.sm", "prod/databases/mysql/bigdb/root")
//	fmt.Println(v)        // [REDACTED]: a Value never prints its secret
//	password := v.Text()  // the secret itself
//
// # Simple API and providers
//
// Get, GetByPath, GetMany, Update and PathExists take a provider name. They
// use the instance that Open returns for that name and the provider-level
// options (Retry, Timeout, Cache): one instance, and so one cache, per name
// and options; Close closes them all. For more control, build a provider
// with its package's constructor (aws.NewParameterStore,
// aws.NewSecretsManager, memory.New) and call its methods; every provider is
// a *Client and implements Provider.
//
// # Caching
//
// Every provider caches what it reads in memory: 1000 entries and 15
// minutes by default (CacheConfig). Concurrent misses of one secret make one
// remote call. Update drops every cached form of the secret and every
// cached listing. NoCache asks the store for one read. CacheConfig also
// offers refresh-ahead, TTL jitter, serving stale values while AWS throttles
// (MaxStale), a disk tier shared by the processes of a machine (OnDisk) and
// a Redis tier shared by a fleet (RedisURL, with the import of package
// redistier), both encrypted with an EncryptionKey and both keyed by the
// AWS identity that read them.
//
// Every read that memory cannot answer goes one way: memory, disk, Redis
// (with a fleet-wide lock, so that a fleet fetches a secret once), the
// store, then back to every tier. The contract that this pipeline keeps:
// an entry is never served to another identity, region or endpoint; once
// Update returns, every read returns the new value; NoCache always asks the
// store; no read waits past its context and no fetch runs without a
// deadline; no value is served more than TTL after the store answered it
// (MaxStale aside); a hit allocates nothing and a miss costs the same in a
// cache of a thousand or a million entries.
//
// # Observability
//
// Client.Stats (and AllStats for the instances of Open) counts hits and
// misses per tier, remote calls by operation, failures by kind, stale
// values, refreshes and evictions. The provider-level option Observe sets an
// Observer that receives an Event for each read, remote call, stale value,
// refresh, eviction and tier failure; packages slogobs and otelobs adapt
// log/slog and OpenTelemetry metrics. Neither holds a secret value.
//
// # Key paths
//
// A JSON secret can be looked into with KeyPath (or Value.Lookup): an
// object member by name, an array element by index, or, with any other key,
// the same key path applied to every element of an array.
//
// # Errors
//
// A missing secret, path or key is ErrNotFound (use errors.Is); the store's
// own error stays reachable through errors.As. Every error is an *Error that
// names the operation, the provider and the path, and its message starts
// with "s1crets: ". No error message ever contains a secret value.
package s1crets

import (
	"context"
)

// openFor splits opts and opens the provider for the simple API. With no
// provider-level options it is a lock-free lookup.
func openFor(ctx context.Context, provider string, opts []Option) (*Client, []Option, error) {
	if ctx == nil {
		return nil, nil, &Error{Op: "open", Provider: provider, Err: errNilContext}
	}
	levels := 0
	for _, o := range opts {
		if isProviderLevel(o) {
			levels++
		}
	}
	if levels == 0 {
		if c, ok := (*defaults.Load())[provider]; ok {
			return c, opts, nil
		}
		c, err := open(ctx, provider, defaultSettings)
		return c, opts, err
	}
	popts, copts := make([]Option, 0, levels), make([]Option, 0, len(opts)-levels)
	for _, o := range opts {
		if isProviderLevel(o) {
			popts = append(popts, o)
		} else {
			copts = append(copts, o)
		}
	}
	s, err := parseProvider(popts)
	if err != nil {
		return nil, nil, &Error{Op: "open", Provider: provider, Err: err}
	}
	c, err := open(ctx, provider, s)
	return c, copts, err
}

// Get returns the secret at path from the named provider; see Client.Get.
// Provider-level options (Retry, Timeout, Cache) select the instance.
func Get(ctx context.Context, provider, path string, opts ...Option) (Value, error) {
	p, copts, err := openFor(ctx, provider, opts)
	if err != nil {
		return Value{}, err
	}
	return p.Get(ctx, path, copts...)
}

// GetByPath returns the secrets below path from the named provider; see
// Client.GetByPath.
func GetByPath(ctx context.Context, provider, path string, opts ...Option) (map[string]Value, error) {
	p, copts, err := openFor(ctx, provider, opts)
	if err != nil {
		return nil, err
	}
	return p.GetByPath(ctx, path, copts...)
}

// GetMany reads many secrets from the named provider in as few remote calls
// as the store allows; see Client.GetMany.
func GetMany(ctx context.Context, provider string, names []string, opts ...Option) (Many, error) {
	p, copts, err := openFor(ctx, provider, opts)
	if err != nil {
		return Many{}, err
	}
	return p.GetMany(ctx, names, copts...)
}

// Update replaces the value of the secret at path in the named provider;
// see Client.Update.
func Update(ctx context.Context, provider, path, value string, opts ...Option) error {
	p, copts, err := openFor(ctx, provider, opts)
	if err != nil {
		return err
	}
	return p.Update(ctx, path, value, copts...)
}

// PathExists reports whether path exists in the named provider; see
// Client.PathExists.
func PathExists(ctx context.Context, provider, path string, opts ...Option) (bool, error) {
	p, copts, err := openFor(ctx, provider, opts)
	if err != nil {
		return false, err
	}
	return p.PathExists(ctx, path, copts...)
}

// Invalidate drops every cached form of the secret at path in the named
// provider, in memory and in every tier; see Client.Invalidate.
func Invalidate(ctx context.Context, provider, path string) error {
	p, _, err := openFor(ctx, provider, nil)
	if err != nil {
		return err
	}
	return p.Invalidate(ctx, path)
}

// joinErrors joins the non-nil errors of errs on one line ("a; b"), as
// errors.Join would on several; nil when there are none.
func joinErrors(errs []error) error {
	var kept []error
	for _, err := range errs {
		if err != nil {
			kept = append(kept, err)
		}
	}
	switch len(kept) {
	case 0:
		return nil
	case 1:
		return kept[0]
	}
	return &manyErr{kept}
}
