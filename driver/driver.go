// Package driver defines the interfaces that secret stores and shared cache
// tiers implement to plug into package s1crets, as database/sql/driver does
// for database/sql. Programs that read secrets do not need it: they use
// package s1crets and a provider package.
//
// A store implements Store: its remote operations and nothing else. The
// root package adds, once for every store, the cache and its tiers, single
// flight, key paths, defaults, invalidation, validation of options and the
// error type. A Store returns raw results (Secret); the root turns them into
// Values.
package driver

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is the sentinel of a secret, path or key that does not exist;
// package s1crets exports it as s1crets.ErrNotFound. A Store marks its own
// not-found errors with NotFound.
var ErrNotFound = errors.New("s1crets: not found")

// NotFound marks cause as a not-found error: the result matches ErrNotFound
// with errors.Is and still unwraps to cause. A nil cause gives ErrNotFound.
func NotFound(cause error) error {
	if cause == nil {
		return ErrNotFound
	}
	return fmt.Errorf("%w: %w", ErrNotFound, cause)
}

// Query holds the per-call settings that change what a store returns. It is
// part of every cache key.
type Query struct {
	Decrypt      bool   // Parameter Store: decrypt SecureString values (default true)
	Recursive    bool   // Parameter Store GetByPath: every level below the path (default true)
	VersionStage string // Secrets Manager: staging label; empty means AWSCURRENT
	VersionID    string // Secrets Manager: version id; empty means the stage's version
	FailOnError  bool   // Secrets Manager GetByPath: fail when one secret fails (default true)
}

// DefaultQuery returns the Query of a call without options.
func DefaultQuery() Query { return Query{Decrypt: true, Recursive: true, FailOnError: true} }

// Secret is a secret as the store answered it.
type Secret struct {
	// Name is the store's own name of the secret: for Parameter Store the
	// name without a version selector, for Secrets Manager the secret's
	// name (not its ARN). The root uses it to invalidate every cached form
	// of a secret (name, ARN, version selectors) on Update. Empty means
	// the name asked for.
	Name string
	// Text is the secret text; empty for binary secrets.
	Text string
	// Binary is the secret's bytes when it is binary; nil for text.
	Binary []byte
	// Meta is what the store said about the secret besides its value; nil
	// when it said nothing. The root keeps it with the value in every cache
	// tier.
	Meta *Meta
}

// Meta is what a store says about a secret besides its value: the fields of
// its own answer that programs show or compare, and that s1crets serve
// returns as the AWS services do. A store fills the fields it has; the rest
// stay zero. It never holds the value.
type Meta struct {
	// Name is the store's name of the secret (Secret.Name when empty).
	Name string
	// ARN is the secret's Amazon Resource Name.
	ARN string
	// Version is the version read: Secrets Manager's VersionId, Parameter
	// Store's Version (a decimal number).
	Version string
	// Stages are Secrets Manager's VersionStages of the version read.
	Stages []string
	// Created is when the version was written: Secrets Manager's
	// CreatedDate, Parameter Store's LastModifiedDate.
	Created time.Time
	// Type, DataType, Selector and SourceResult are Parameter Store's
	// fields of the same names (Type: String, StringList or SecureString).
	Type, DataType, Selector, SourceResult string
}

// Store does the remote operations of one secret store. Its errors for
// missing secrets match ErrNotFound (see NotFound); its other errors keep
// the store's own error reachable with errors.As. Implementations are safe
// for concurrent use and never put a secret value in an error.
type Store interface {
	// Get returns the secret name.
	Get(ctx context.Context, name string, q Query) (Secret, error)
	// GetByPath returns the secrets below path by their full names.
	GetByPath(ctx context.Context, path string, q Query) (map[string]Secret, error)
	// Update replaces the value of the existing secret name and returns
	// the store's own name of it (see Secret.Name).
	Update(ctx context.Context, name, value string) (canonical string, err error)
}

// Op names a user operation, for Validator.
type Op string

// The operations of Validator.
const (
	OpGet        Op = "get"
	OpGetByPath  Op = "get-by-path"
	OpGetMany    Op = "get-many"
	OpUpdate     Op = "update"
	OpPathExists Op = "path-exists"
)

// Optional interfaces a Store may implement.
type (
	// A PathChecker answers PathExists itself (Parameter Store's paths).
	// Without it, PathExists is a Get that did not fail with ErrNotFound.
	PathChecker interface {
		PathExists(ctx context.Context, path string) (bool, error)
	}

	// A ManyGetter reads many secrets in few remote calls. found and
	// failed are keyed by the names exactly as asked (with any version
	// selector or ARN): names in neither do not exist; failed holds the
	// names that could not be read. err is a failure of the whole call.
	ManyGetter interface {
		GetMany(ctx context.Context, names []string, q Query) (found map[string]Secret, failed map[string]error, err error)
	}

	// A Validator rejects, before any remote call, a name the store would
	// reject and a Query setting that does not apply to the store or the
	// operation. Its errors say what is accepted.
	Validator interface {
		Validate(op Op, name string, q Query) error
	}

	// A TransientChecker tells errors worth serving a stale value for and
	// worth backing off from (throttling, 5xx, network, timeouts) from the
	// others.
	TransientChecker interface {
		Transient(err error) bool
	}

	// An Identifier names who reads and where: for AWS the account, the
	// principal, the region and the endpoint. Entries of the disk and Redis
	// tiers are kept apart by it, so that one identity is never served what
	// another read. The root asks once, before the first tier access; when
	// it fails the tiers are skipped. A Store without it shares the tiers
	// with no other Store instance.
	Identifier interface {
		Identity(ctx context.Context) (string, error)
	}
)

// Config is what a store's Opener receives: the provider-level settings.
type Config struct {
	Retry   int           // total attempts of a remote call (at least 1)
	Timeout time.Duration // bound of each attempt's whole exchange
	// Settings are the provider's own options (see NewSetting), in the
	// order given.
	Settings []any
}

// An Opener builds a Store from the provider-level settings. Provider
// packages register one with s1crets.Register.
type Opener func(ctx context.Context, cfg Config) (Store, error)

// Option is the type of every option of package s1crets (s1crets.Option):
// the root's own and the settings of provider packages. It carries one
// value; the root recognises its own types and hands every other value to
// the provider's Opener in Config.Settings. The zero Option is invalid.
type Option struct{ v any }

// NewSetting returns an Option that carries v, a provider's own setting (a
// region, a role), to its Opener in Config.Settings. v must be comparable
// for the memoized instances of s1crets.Open.
func NewSetting(v any) Option { return Option{v} }

// Value returns what the Option carries.
func (o Option) Value() any { return o.v }
