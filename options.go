package s1crets

import "time"

// An Option changes one call (KeyPath, Default, NoCache, Decrypt, ...) or,
// for Retry, Timeout and Cache, the provider instance that Open and the
// simple API select. A per-call option given to Open, or a provider-level
// option given to a provider's method, is an ErrInvalid error.
type Option func(*options)

// Query holds the per-call settings that change what a store returns. It is
// part of every cache key, and it is what a Backend receives.
type Query struct {
	Decrypt      bool   // Parameter Store: decrypt SecureString values (default true)
	Recursive    bool   // Parameter Store GetByPath: include all levels below the path (default true)
	VersionStage string // Secrets Manager: staging label; empty means AWSCURRENT
	VersionID    string // Secrets Manager: version id; empty means the stage's version
	FailOnError  bool   // Secrets Manager GetByPath: fail when one secret fails (default true)
}

// DefaultQuery is the Query of a call without options.
var DefaultQuery = Query{Decrypt: true, Recursive: true, FailOnError: true}

type options struct {
	// per call
	q        Query
	keys     []string
	def      string
	hasDef   bool
	noCache  bool
	perCall  string // name of a per-call option seen, for error messages
	provider string // name of a provider-level option seen, for error messages

	// provider level
	cfg Config
}

// Config is what a provider's constructor receives from Open: the
// provider-level options. The zero value means the defaults.
type Config struct {
	Retry   int           // total attempts of a remote call; 0 means 3
	Timeout time.Duration // connect and read timeout; 0 means 5s
	Cache   CacheConfig   // the cache settings; the zero value means the defaults
}

// Defaults of Config.
const (
	DefaultRetry   = 3
	DefaultTimeout = 5 * time.Second
)

// Validate reports the first bad field with what is accepted.
func (c Config) Validate() error {
	if c.Retry < 0 {
		return invalidf("Retry(%d): the number of attempts must be at least 1 (0 means the default, %d)", c.Retry, DefaultRetry)
	}
	if c.Timeout < 0 {
		return invalidf("Timeout(%v): the timeout must be positive (0 means the default, %v)", c.Timeout, DefaultTimeout)
	}
	return c.Cache.Validate()
}

// RetryOrDefault returns Retry, or DefaultRetry when it is 0.
func (c Config) RetryOrDefault() int {
	if c.Retry == 0 {
		return DefaultRetry
	}
	return c.Retry
}

// TimeoutOrDefault returns Timeout, or DefaultTimeout when it is 0.
func (c Config) TimeoutOrDefault() time.Duration {
	if c.Timeout == 0 {
		return DefaultTimeout
	}
	return c.Timeout
}

func callOption(name string, f func(*options)) Option {
	return func(o *options) {
		o.perCall = name
		f(o)
	}
}

func providerOption(name string, f func(*options)) Option {
	return func(o *options) {
		o.provider = name
		f(o)
	}
}

// KeyPath looks into a JSON secret: Get returns the value at keys (see
// Value.Lookup), PathExists reports whether it exists. Key paths are applied
// after the cache, so one fetch serves every key path of a secret.
func KeyPath(keys ...string) Option {
	keys = append([]string(nil), keys...)
	return callOption("KeyPath", func(o *options) { o.keys = keys })
}

// Default makes Get return value instead of an ErrNotFound error when the
// secret or the key path does not exist.
func Default(value string) Option {
	return callOption("Default", func(o *options) { o.def, o.hasDef = value, true })
}

// NoCache makes this read bypass the cache, and stores the fresh result.
func NoCache() Option {
	return callOption("NoCache", func(o *options) { o.noCache = true })
}

// Decrypt sets whether Parameter Store decrypts SecureString values
// (default true).
func Decrypt(decrypt bool) Option {
	return callOption("Decrypt", func(o *options) { o.q.Decrypt = decrypt })
}

// Recursive sets whether Parameter Store's GetByPath includes every level
// below the path (default true) or only the direct children.
func Recursive(recursive bool) Option {
	return callOption("Recursive", func(o *options) { o.q.Recursive = recursive })
}

// VersionStage selects a Secrets Manager version by staging label (default
// AWSCURRENT).
func VersionStage(stage string) Option {
	return callOption("VersionStage", func(o *options) { o.q.VersionStage = stage })
}

// VersionID selects a Secrets Manager version by id.
func VersionID(id string) Option {
	return callOption("VersionID", func(o *options) { o.q.VersionID = id })
}

// FailOnError sets whether Secrets Manager's GetByPath fails when one of the
// secrets cannot be read (default true); false skips those secrets.
func FailOnError(fail bool) Option {
	return callOption("FailOnError", func(o *options) { o.q.FailOnError = fail })
}

// Retry sets the total number of attempts of each remote call (default 3).
// It is a provider-level option: it selects the provider instance.
func Retry(attempts int) Option {
	return providerOption("Retry", func(o *options) {
		o.cfg.Retry = attempts
		if attempts == 0 {
			o.cfg.Retry = -1 // an explicit 0 is invalid, not the default
		}
	})
}

// Timeout sets the connect and read timeout of each remote call attempt
// (default 5s). It is a provider-level option.
func Timeout(d time.Duration) Option {
	return providerOption("Timeout", func(o *options) {
		o.cfg.Timeout = d
		if d == 0 {
			o.cfg.Timeout = -1
		}
	})
}

// Cache sets the provider's cache. It is a provider-level option.
func Cache(c CacheConfig) Option {
	return providerOption("Cache", func(o *options) { o.cfg.Cache = c })
}

// parse applies opts; a nil option is an error.
func parse(opts []Option) (options, error) {
	o := options{q: DefaultQuery}
	for i, f := range opts {
		if f == nil {
			return o, invalidf("option %d of %d is nil", i+1, len(opts))
		}
		f(&o)
	}
	return o, nil
}

// parseCall parses the options of a provider method: no provider-level ones.
func parseCall(opts []Option) (options, error) {
	o, err := parse(opts)
	if err == nil && o.provider != "" {
		err = invalidf("%s is a provider-level option: give it to Open or the provider's constructor, not to a call", o.provider)
	}
	return o, err
}

// parseConfig parses the options of Open: no per-call ones.
func parseConfig(opts []Option) (Config, error) {
	o, err := parse(opts)
	if err == nil && o.perCall != "" {
		err = invalidf("%s is a per-call option: give it to Get, GetByPath, Update or PathExists, not to Open", o.perCall)
	}
	if err == nil {
		err = o.cfg.Validate()
	}
	return o.cfg, err
}

// split separates the options of the simple API into provider-level and
// per-call ones.
func split(opts []Option) (provider, call []Option, err error) {
	for i, f := range opts {
		if f == nil {
			return nil, nil, invalidf("option %d of %d is nil", i+1, len(opts))
		}
		var o options
		f(&o)
		if o.provider != "" {
			provider = append(provider, f)
		} else {
			call = append(call, f)
		}
	}
	return provider, call, nil
}

// ParseConfig returns the Config that the provider-level options opts
// describe, for provider constructors. Per-call options, nil options and bad
// values are ErrInvalid errors.
func ParseConfig(opts ...Option) (Config, error) { return parseConfig(opts) }
