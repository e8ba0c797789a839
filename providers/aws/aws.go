// Package aws provides the AWS secret stores of s1crets: Parameter Store
// ("aws.ps") and Secrets Manager ("aws.sm"), on aws-sdk-go-v2. Importing it
// registers both names for the simple API:
//
//	import _ "github.com/s1crets/s1crets/providers/aws"
//
//	v, err := s1crets.Get(ctx, "aws.ps", "/prod/db/password")
//
// For options beyond Retry, Timeout and Cache (a region, a role to assume,
// a ready aws.Config), build a provider with NewParameterStore or
// NewSecretsManager.
//
// # Configuration
//
// The SDK's standard configuration applies: environment variables
// (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SSM,
// AWS_ENDPOINT_URL_SECRETS_MANAGER, ...), the shared config and credentials
// files, SSO, web identity and instance roles. WithConfig replaces all of
// that with a config of your own.
//
// # Region
//
// WithRegion, else the SDK's chain (environment, shared config), else the
// region of the EC2 instance from the instance metadata service (IMDSv2),
// asked under a short deadline: off EC2 with no region anywhere, the
// constructor fails within about a second with an error that says where a
// region can be set. It never hangs.
//
// # Assume role
//
// WithAssumeRole makes every call with the credentials of a role, obtained
// by the SDK's stscreds provider with the base credentials and cached by
// aws.CredentialsCache, which renews them before they expire. A call that
// still meets ExpiredTokenException renews them and is tried once more.
//
// # Retry and timeout
//
// WithRetry is the total number of attempts of a call (default 3), on the
// SDK's standard retryer; WithTimeout bounds connecting and waiting for an
// answer in each attempt (default 5s).
package aws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/s1crets/s1crets"
)

// Provider names registered by this package.
const (
	ParameterStoreName = "aws.ps"
	SecretsManagerName = "aws.sm"
)

func init() {
	s1crets.Register(ParameterStoreName, func(ctx context.Context, c s1crets.Config) (s1crets.Provider, error) {
		return NewParameterStore(ctx, fromConfig(c)...)
	})
	s1crets.Register(SecretsManagerName, func(ctx context.Context, c s1crets.Config) (s1crets.Provider, error) {
		return NewSecretsManager(ctx, fromConfig(c)...)
	})
}

func fromConfig(c s1crets.Config) []Option {
	return []Option{WithRetry(c.RetryOrDefault()), WithTimeout(c.TimeoutOrDefault()), WithCache(c.Cache)}
}

// An Option configures NewParameterStore and NewSecretsManager.
type Option func(*settings)

type settings struct {
	region     string
	roleARN    string
	session    string
	roleOpts   []func(*stscreds.AssumeRoleOptions)
	cache      s1crets.CacheConfig
	retry      int
	timeout    time.Duration
	cfg        *awssdk.Config
	imdsWait   time.Duration
	invalidArg error
}

// WithRegion sets the AWS region, before the SDK's chain and the instance
// metadata.
func WithRegion(region string) Option {
	return func(s *settings) {
		if region == "" {
			s.invalidArg = errors.New("WithRegion: empty region")
		}
		s.region = region
	}
}

// WithAssumeRole makes every call with the credentials of the role roleARN,
// assumed with the base credentials. sessionName defaults to "s1crets", the
// duration to 1 hour; opts can set ExternalID, Duration, SerialNumber and
// the other fields of stscreds.AssumeRoleOptions:
//
//	aws.WithAssumeRole(arn, "", func(o *stscreds.AssumeRoleOptions) {
//		o.ExternalID = awssdk.String("my-external-id")
//	})
func WithAssumeRole(roleARN, sessionName string, opts ...func(*stscreds.AssumeRoleOptions)) Option {
	return func(s *settings) {
		if roleARN == "" {
			s.invalidArg = errors.New("WithAssumeRole: empty role ARN")
		}
		for i, o := range opts {
			if o == nil {
				s.invalidArg = fmt.Errorf("WithAssumeRole: option %d is nil", i+1)
			}
		}
		s.roleARN, s.session, s.roleOpts = roleARN, sessionName, opts
	}
}

// WithCache configures the provider's cache (default 1000 entries, 15
// minutes).
func WithCache(c s1crets.CacheConfig) Option { return func(s *settings) { s.cache = c } }

// WithRetry sets the total number of attempts of each call (default 3,
// at least 1).
func WithRetry(attempts int) Option {
	return func(s *settings) {
		if attempts < 1 {
			s.invalidArg = fmt.Errorf("WithRetry(%d): the number of attempts must be at least 1", attempts)
		}
		s.retry = attempts
	}
}

// WithTimeout sets the connect and read timeout of each attempt (default
// 5s).
func WithTimeout(d time.Duration) Option {
	return func(s *settings) {
		if d <= 0 {
			s.invalidArg = fmt.Errorf("WithTimeout(%v): the timeout must be positive", d)
		}
		s.timeout = d
	}
}

// WithConfig uses cfg instead of loading the SDK's default configuration.
// Retry and timeout still apply: the retryer of cfg gets WithRetry's
// number of attempts, and its HTTP client (when it is the SDK's
// BuildableClient or nil) WithTimeout's timeouts.
func WithConfig(cfg awssdk.Config) Option {
	return func(s *settings) { c := cfg.Copy(); s.cfg = &c }
}

// imdsDeadline bounds the question to the instance metadata service.
const imdsDeadline = 1200 * time.Millisecond

func parseOptions(name string, opts []Option) (settings, error) {
	s := settings{retry: s1crets.DefaultRetry, timeout: s1crets.DefaultTimeout, session: "s1crets", imdsWait: imdsDeadline}
	for i, o := range opts {
		if o == nil {
			return s, invalid(name, fmt.Errorf("option %d of %d is nil", i+1, len(opts)))
		}
		o(&s)
		if s.invalidArg != nil {
			return s, invalid(name, s.invalidArg)
		}
	}
	if s.session == "" {
		s.session = "s1crets"
	}
	if err := s.cache.Validate(); err != nil {
		return s, &s1crets.Error{Op: "new", Provider: name, Err: err}
	}
	return s, nil
}

func invalid(name string, err error) error {
	return &s1crets.Error{Op: "new", Provider: name, Err: fmt.Errorf("%w: %w", s1crets.ErrInvalid, err)}
}

// loadConfig builds the aws.Config of a provider: the SDK's or the given
// one, a region, retry and timeout, and the assumed role's credentials.
func loadConfig(ctx context.Context, name string, s settings) (awssdk.Config, error) {
	var cfg awssdk.Config
	if s.cfg != nil {
		cfg = *s.cfg
	} else {
		var err error
		if cfg, err = config.LoadDefaultConfig(ctx); err != nil {
			return cfg, &s1crets.Error{Op: "new", Provider: name, Err: err}
		}
	}
	if s.region != "" {
		cfg.Region = s.region
	}
	if cfg.Region == "" {
		region, err := regionFromIMDS(ctx, cfg, s.imdsWait)
		if err != nil {
			return cfg, &s1crets.Error{Op: "new", Provider: name, Err: fmt.Errorf(
				"no AWS region: set AWS_REGION, a region in the shared config file, or aws.WithRegion; "+
					"the EC2 instance metadata service gave none (%w)", err)}
		}
		cfg.Region = region
	}

	base := cfg.Retryer
	attempts := s.retry
	cfg.Retryer = func() awssdk.Retryer {
		var r awssdk.Retryer
		if base != nil {
			r = base()
		} else {
			r = retry.NewStandard()
		}
		return retry.AddWithMaxAttempts(r, attempts)
	}
	cfg.RetryMaxAttempts = 0 // the retryer above decides

	switch c := cfg.HTTPClient.(type) {
	case nil:
		cfg.HTTPClient = withTimeouts(awshttp.NewBuildableClient(), s.timeout)
	case *awshttp.BuildableClient:
		cfg.HTTPClient = withTimeouts(c, s.timeout)
	}

	if s.roleARN != "" {
		stsClient := sts.NewFromConfig(cfg)
		role := stscreds.NewAssumeRoleProvider(stsClient, s.roleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = s.session
			o.Duration = time.Hour
			for _, f := range s.roleOpts {
				f(o)
			}
		})
		cfg.Credentials = awssdk.NewCredentialsCache(role)
	}
	return cfg, nil
}

func withTimeouts(c *awshttp.BuildableClient, d time.Duration) *awshttp.BuildableClient {
	return c.WithDialerOptions(func(dl *net.Dialer) { dl.Timeout = d }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.TLSHandshakeTimeout = d
			tr.ResponseHeaderTimeout = d
		})
}

// regionFromIMDS asks the instance metadata service (IMDSv2) for the
// region, within wait.
func regionFromIMDS(ctx context.Context, cfg awssdk.Config, wait time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	client := imds.NewFromConfig(cfg, func(o *imds.Options) {
		o.ClientEnableState = imds.ClientEnabled
		o.Retryer = retry.AddWithMaxAttempts(retry.NewStandard(), 1)
	})
	out, err := client.GetRegion(ctx, &imds.GetRegionInput{})
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("no answer within %v", wait)
		}
		return "", err
	}
	return out.Region, nil
}

// notFoundCodes are the AWS error codes that mean "no such secret"; they
// map to s1crets.ErrNotFound. This table is the only place that maps codes.
var notFoundCodes = map[string]bool{
	"ParameterNotFound":         true, // SSM
	"ParameterVersionNotFound":  true, // SSM
	"ResourceNotFoundException": true, // Secrets Manager
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// mapError marks not-found errors; every other error is returned as is, so
// that errors.As reaches the SDK's types.
func mapError(err error) error {
	if err != nil && notFoundCodes[code(err)] {
		return s1crets.NotFound(err)
	}
	return err
}

// renewing runs call, and once more after renewing the credentials when
// AWS answers that they expired (the role's credentials were revoked or
// the clock is off).
func renewing[T any](creds awssdk.CredentialsProvider, call func() (T, error)) (T, error) {
	out, err := call()
	if err != nil && (code(err) == "ExpiredTokenException" || code(err) == "ExpiredToken") {
		if cc, ok := creds.(*awssdk.CredentialsCache); ok {
			cc.Invalidate()
			out, err = call()
		}
	}
	return out, err
}

// errEmptyAnswer reports a successful answer without the data asked for,
// which AWS does not send but a proxy or an emulator might.
func errEmptyAnswer(op string) error {
	return fmt.Errorf("%s: the answer holds no data", op)
}

// namespace names what a provider reads, for the shared cache tiers: the
// region, the endpoint (AWS's or an emulator's) and the assumed role.
func namespace(cfg awssdk.Config, s settings) string {
	return cfg.Region + "|" + awssdk.ToString(cfg.BaseEndpoint) + "|" + s.roleARN
}
