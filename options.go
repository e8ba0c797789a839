package s1crets

import (
	"fmt"
	"time"

	"github.com/s1crets/s1crets/driver"
)

// An Option changes one call (KeyPath, Default, NoCache, Decrypt, ...) or,
// for Retry, Timeout, Cache and a provider package's own options (a region,
// a role), the provider instance that Open, New and the simple API build.
// A per-call option given to Open, or a provider-level option given to a
// provider's method, is an ErrInvalid error. Options are plain values: one
// built once can be used by any number of calls at once.
type Option = driver.Option

// The types of the root's own options.
type (
	keyPathOpt     []string
	defaultOpt     string
	noCacheOpt     struct{}
	decryptOpt     bool
	recursiveOpt   bool
	stageOpt       string
	versionIDOpt   string
	failOnErrorOpt bool
	retryOpt       int
	timeoutOpt     time.Duration
	cacheOpt       CacheConfig
	maxAgeOpt      time.Duration
)

// KeyPath looks into a JSON secret: Get returns the value at keys (see
// Value.Lookup), PathExists reports whether it exists. Key paths are applied
// after the cache, so one fetch serves every key path of a secret.
func KeyPath(keys ...string) Option {
	return driver.NewSetting(keyPathOpt(append([]string(nil), keys...)))
}

// Default makes Get return value instead of an ErrNotFound error when the
// secret or the key path does not exist.
func Default(value string) Option { return driver.NewSetting(defaultOpt(value)) }

// NoCache makes this read ask the store, bypassing every cache tier, and
// store the fresh result in every tier.
func NoCache() Option { return driver.NewSetting(noCacheOpt{}) }

// MaxAge makes this read accept a cached value only if the store answered
// it at most d ago; otherwise it asks the store (and refreshes every tier).
// MaxAge(0) is a fresh read, as NoCache.
func MaxAge(d time.Duration) Option { return driver.NewSetting(maxAgeOpt(d)) }

// Decrypt sets whether Parameter Store decrypts SecureString values
// (default true). Other stores refuse it.
func Decrypt(decrypt bool) Option { return driver.NewSetting(decryptOpt(decrypt)) }

// Recursive sets whether Parameter Store's GetByPath includes every level
// below the path (default true) or only the direct children.
func Recursive(recursive bool) Option { return driver.NewSetting(recursiveOpt(recursive)) }

// VersionStage selects a Secrets Manager version by staging label (default
// AWSCURRENT). Other stores refuse it.
func VersionStage(stage string) Option { return driver.NewSetting(stageOpt(stage)) }

// VersionID selects a Secrets Manager version by id. Other stores refuse
// it.
func VersionID(id string) Option { return driver.NewSetting(versionIDOpt(id)) }

// FailOnError sets whether Secrets Manager's GetByPath fails when one of the
// secrets cannot be read (default true); false skips those secrets.
func FailOnError(fail bool) Option { return driver.NewSetting(failOnErrorOpt(fail)) }

// Defaults of the provider-level options.
const (
	DefaultRetry   = 3
	DefaultTimeout = 5 * time.Second
)

// Retry sets the total number of attempts of each remote call (default 3,
// at least 1). It is a provider-level option.
func Retry(attempts int) Option { return driver.NewSetting(retryOpt(attempts)) }

// Timeout bounds each attempt of a remote call, from connecting to reading
// the whole answer (default 5s). It is a provider-level option.
func Timeout(d time.Duration) Option { return driver.NewSetting(timeoutOpt(d)) }

// Cache sets the provider's cache. It is a provider-level option.
func Cache(c CacheConfig) Option { return driver.NewSetting(cacheOpt(c)) }

// options is what a list of Options sets.
type options struct {
	// per call
	q       driver.Query
	keys    []string
	def     string
	hasDef  bool
	noCache bool
	maxAge  time.Duration
	hasAge  bool   // MaxAge was given
	perCall string // the first per-call option seen, for error messages
	query   string // the first option seen that changes the Query

	// provider level
	level     string // the first provider-level option seen, for error messages
	retry     int
	timeout   time.Duration
	cache     CacheConfig
	observers [maxObservers]Observer
	settings  []any // the provider package's own
}

// parse applies opts. It allocates nothing for the per-call options, so
// that a cache hit with a KeyPath allocates nothing.
func parse(opts []Option) (o options, err error) {
	o.q = defaultQuery
	for i, opt := range opts {
		switch x := opt.Value().(type) {
		case nil:
			return o, invalidf("option %d of %d is the zero Option", i+1, len(opts))
		case keyPathOpt:
			o.call("KeyPath")
			o.keys = x
		case defaultOpt:
			o.call("Default")
			o.def, o.hasDef = string(x), true
		case noCacheOpt:
			o.call("NoCache")
			o.noCache = true
		case maxAgeOpt:
			o.call("MaxAge")
			if x < 0 {
				return o, invalidf("MaxAge(%v): the age must not be negative (MaxAge(0) is a fresh read)", time.Duration(x))
			}
			o.maxAge, o.hasAge = time.Duration(x), true
		case decryptOpt:
			o.changes("Decrypt")
			o.q.Decrypt = bool(x)
		case recursiveOpt:
			o.changes("Recursive")
			o.q.Recursive = bool(x)
		case stageOpt:
			o.changes("VersionStage")
			o.q.VersionStage = string(x)
		case versionIDOpt:
			o.changes("VersionID")
			o.q.VersionID = string(x)
		case failOnErrorOpt:
			o.changes("FailOnError")
			o.q.FailOnError = bool(x)
		case retryOpt:
			o.provider("Retry")
			if x < 1 {
				return o, invalidf("Retry(%d): the number of attempts must be at least 1 (the default is %d)", int(x), DefaultRetry)
			}
			o.retry = int(x)
		case timeoutOpt:
			o.provider("Timeout")
			if x <= 0 {
				return o, invalidf("Timeout(%v): the timeout must be positive (the default is %v)", time.Duration(x), DefaultTimeout)
			}
			o.timeout = time.Duration(x)
		case cacheOpt:
			o.provider("Cache")
			o.cache = CacheConfig(x)
		case observeOpt:
			o.provider("Observe")
			if err := o.observe(x.o); err != nil {
				return o, err
			}
		default:
			o.provider(fmt.Sprintf("%T", x))
			o.settings = append(o.settings, x)
		}
	}
	return o, nil
}

func (o *options) call(name string) {
	if o.perCall == "" {
		o.perCall = name
	}
}

func (o *options) changes(name string) {
	o.call(name)
	if o.query == "" {
		o.query = name
	}
}

func (o *options) provider(name string) {
	if o.level == "" {
		o.level = name
	}
}

// parseCall parses the options of a provider method: no provider-level ones.
func parseCall(opts []Option) (options, error) {
	o, err := parse(opts)
	if err == nil && o.level != "" {
		err = invalidf("%s is a provider-level option: give it to Open or the provider's constructor, not to a call", o.level)
	}
	return o, err
}

// settings are the provider-level options in effect, with the defaults
// filled in, so that a default given explicitly selects the same memoized
// instance as the default left out.
type settings struct {
	retry     int
	timeout   time.Duration
	cache     CacheConfig
	observers [maxObservers]Observer // the Observe options, in order
	extra     []any                  // the provider package's own settings
}

// parseProvider parses the options of Open and New: no per-call ones.
func parseProvider(opts []Option) (settings, error) {
	o, err := parse(opts)
	if err == nil && o.perCall != "" {
		err = invalidf("%s is a per-call option: give it to Get, GetByPath, GetMany, Update or PathExists, not to Open or a constructor", o.perCall)
	}
	if err == nil {
		err = o.cache.validate()
	}
	if err != nil {
		return settings{}, err
	}
	s := settings{retry: o.retry, timeout: o.timeout, cache: o.cache.withDefaults(), observers: o.observers, extra: o.settings}
	if s.retry == 0 {
		s.retry = DefaultRetry
	}
	if s.timeout == 0 {
		s.timeout = DefaultTimeout
	}
	return s, nil
}

// isProviderLevel reports whether opt is a provider-level option.
func isProviderLevel(opt Option) bool {
	switch opt.Value().(type) {
	case nil, keyPathOpt, defaultOpt, noCacheOpt, maxAgeOpt, decryptOpt, recursiveOpt, stageOpt, versionIDOpt, failOnErrorOpt:
		return false
	}
	return true
}
