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
// Get, GetByPath, Update and PathExists take a provider name. They use the
// instance that Open returns for that name and the provider-level options
// (Retry, Timeout, Cache): one instance, and so one cache, per name and
// options. For more control, build a provider with its package's
// constructor (aws.NewParameterStore, aws.NewSecretsManager, memory.New) and
// call its methods; every provider implements Provider.
//
// # Caching
//
// Every provider caches what it reads in memory: 1000 entries and 15
// minutes by default (CacheConfig). Concurrent misses of one secret make one
// remote call. Update drops the secret and every cached listing. NoCache
// bypasses the cache for one read. CacheConfig also offers refresh-ahead,
// TTL jitter, serving stale values while AWS throttles (MaxStale), a disk
// tier shared by the processes of a machine (OnDisk) and a Redis tier shared
// by a fleet (RedisURL), both encrypted with an EncryptionKey.
//
// GetMany reads many secrets in as few remote calls as the store allows.
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
	"errors"
)

// openFor splits opts and opens the provider for the simple API.
func openFor(ctx context.Context, provider string, opts []Option) (Provider, []Option, error) {
	popts, copts, err := split(opts)
	if err != nil {
		return nil, nil, &Error{Op: "open", Provider: provider, Err: err}
	}
	var cfg Config
	if len(popts) > 0 {
		if cfg, err = parseConfig(popts); err != nil {
			return nil, nil, &Error{Op: "open", Provider: provider, Err: err}
		}
	}
	p, err := open(ctx, instanceKey{provider, cfg})
	return p, copts, err
}

// Get returns the secret at path from the named provider; see Provider.Get.
// Provider-level options (Retry, Timeout, Cache) select the instance.
func Get(ctx context.Context, provider, path string, opts ...Option) (Value, error) {
	p, copts, err := openFor(ctx, provider, opts)
	if err != nil {
		return Value{}, err
	}
	return p.Get(ctx, path, copts...)
}

// GetByPath returns the secrets below path from the named provider; see
// Provider.GetByPath.
func GetByPath(ctx context.Context, provider, path string, opts ...Option) (map[string]Value, error) {
	p, copts, err := openFor(ctx, provider, opts)
	if err != nil {
		return nil, err
	}
	return p.GetByPath(ctx, path, copts...)
}

// Update replaces the value of the secret at path in the named provider;
// see Provider.Update.
func Update(ctx context.Context, provider, path, value string, opts ...Option) error {
	p, copts, err := openFor(ctx, provider, opts)
	if err != nil {
		return err
	}
	return p.Update(ctx, path, value, copts...)
}

// PathExists reports whether path exists in the named provider; see
// Provider.PathExists.
func PathExists(ctx context.Context, provider, path string, opts ...Option) (bool, error) {
	p, copts, err := openFor(ctx, provider, opts)
	if err != nil {
		return false, err
	}
	return p.PathExists(ctx, path, copts...)
}

// ManyGetter is a Provider that reads many secrets in few remote calls.
// Every provider built on Cached (all of this module's) is one.
type ManyGetter interface {
	GetMany(ctx context.Context, names []string, opts ...Option) (Many, error)
}

// GetMany reads many secrets from the named provider in as few remote calls
// as the store allows; see Cached.GetMany. A missing name is reported in
// Many.Missing; call Many.Err to treat it as an error.
func GetMany(ctx context.Context, provider string, names []string, opts ...Option) (Many, error) {
	p, copts, err := openFor(ctx, provider, opts)
	if err != nil {
		return Many{}, err
	}
	if mg, ok := p.(ManyGetter); ok {
		return mg.GetMany(ctx, names, copts...)
	}
	res := Many{Values: map[string]Value{}, Failed: map[string]error{}}
	for _, n := range names {
		v, err := p.Get(ctx, n, copts...)
		switch {
		case err == nil:
			res.Values[n] = v
		case errors.Is(err, ErrNotFound):
			res.Missing = append(res.Missing, n)
		case errors.Is(err, ErrInvalid) || ctx.Err() != nil:
			return Many{}, err
		default:
			res.Failed[n] = err
		}
	}
	return res, nil
}
