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
// files, SSO, web identity and instance roles. WithProfile selects a
// profile of the shared files, WithEndpoint sends every call to one
// endpoint (an emulator, a VPC endpoint), and WithConfig replaces all of
// that with a config of your own.
//
// # Region
//
// WithRegion, else the SDK's chain (environment, shared config), else the
// region of the EC2 instance from the instance metadata service (IMDSv2),
// asked under a short deadline: off EC2 with no region anywhere, the
// constructor fails within about a second with ErrNoRegion, whose message
// says where a region can be set. It never hangs. With
// AWS_EC2_METADATA_DISABLED=true the metadata service is not asked at all.
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
// s1crets.Retry is the total number of attempts of a call (default 3), on
// the SDK's standard retryer; s1crets.Timeout bounds each attempt's whole
// exchange, from connecting to reading the last byte of the answer (default
// 5s).
//
// # Cache tiers and identity
//
// The disk and Redis tiers of s1crets.CacheConfig keep entries apart by who
// read them: the account and principal that STS GetCallerIdentity names
// (one call per provider, made before its first tier access; it needs no
// IAM permission), the region and the endpoint.
package aws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/driver"
)

// Provider names registered by this package.
const (
	ParameterStoreName = "aws.ps"
	SecretsManagerName = "aws.sm"
)

func init() {
	s1crets.Register(ParameterStoreName, func(ctx context.Context, c driver.Config) (driver.Store, error) {
		return openParameterStore(ctx, c)
	})
	s1crets.Register(SecretsManagerName, func(ctx context.Context, c driver.Config) (driver.Store, error) {
		return openSecretsManager(ctx, c)
	})
}

// An Option configures NewParameterStore and NewSecretsManager: this
// package's own (WithRegion, WithAssumeRole, WithConfig) and the root's
// provider-level options (s1crets.Retry, s1crets.Timeout, s1crets.Cache).
type Option = s1crets.Option

// The settings of this package, carried by Options to the Opener.
type (
	regionSetting   string
	profileSetting  string
	endpointSetting string
	roleSetting     struct {
		arn, session string
		opts         []func(*stscreds.AssumeRoleOptions)
	}
	configSetting struct{ cfg *awssdk.Config }
)

type settings struct {
	region   string
	profile  string
	endpoint string
	role     *roleSetting
	retry    int
	timeout  time.Duration
	cfg      *awssdk.Config
	imdsWait time.Duration
}

// WithRegion sets the AWS region, before the SDK's chain and the instance
// metadata.
func WithRegion(region string) Option { return driver.NewSetting(regionSetting(region)) }

// WithProfile reads the named profile of the shared config and credentials
// files (as AWS_PROFILE does), for the credentials, the region and the
// rest of the SDK's configuration. It does not go with WithConfig.
func WithProfile(name string) Option { return driver.NewSetting(profileSetting(name)) }

// WithEndpoint sends every call of the provider (to Parameter Store or
// Secrets Manager, and to STS) to url, an emulator or a VPC endpoint, over
// AWS_ENDPOINT_URL, the service-specific AWS_ENDPOINT_URL_SSM and
// AWS_ENDPOINT_URL_SECRETS_MANAGER, and the shared config's endpoints.
func WithEndpoint(url string) Option { return driver.NewSetting(endpointSetting(url)) }

// WithAssumeRole makes every call with the credentials of the role roleARN,
// assumed with the base credentials. sessionName defaults to "s1crets", the
// duration to 1 hour; opts can set ExternalID, Duration, SerialNumber and
// the other fields of stscreds.AssumeRoleOptions:
//
//	aws.WithAssumeRole(arn, "", func(o *stscreds.AssumeRoleOptions) {
//		o.ExternalID = awssdk.String("my-external-id")
//	})
//
// With opts, the option is for the constructors only: Open and the simple
// API memoize instances by comparable options.
func WithAssumeRole(roleARN, sessionName string, opts ...func(*stscreds.AssumeRoleOptions)) Option {
	if len(opts) == 0 {
		return driver.NewSetting(roleARNSetting{roleARN, sessionName})
	}
	return driver.NewSetting(&roleSetting{arn: roleARN, session: sessionName, opts: opts})
}

// roleARNSetting is WithAssumeRole without options: comparable, so that
// Open can memoize it.
type roleARNSetting struct{ arn, session string }

// WithConfig uses cfg instead of loading the SDK's default configuration.
// Retry and timeout still apply: the retryer of cfg gets s1crets.Retry's
// number of attempts, and its HTTP client (when it is the SDK's
// BuildableClient or nil) s1crets.Timeout's timeout.
func WithConfig(cfg awssdk.Config) Option {
	c := cfg.Copy()
	return driver.NewSetting(configSetting{&c})
}

// imdsDeadline bounds the question to the instance metadata service.
const imdsDeadline = 1200 * time.Millisecond

// parseSettings reads this package's settings from the Opener's Config.
func parseSettings(c driver.Config) (settings, error) {
	s := settings{retry: c.Retry, timeout: c.Timeout, imdsWait: imdsDeadline}
	for _, x := range c.Settings {
		switch v := x.(type) {
		case regionSetting:
			if v == "" {
				return s, invalid(errors.New("WithRegion: empty region"))
			}
			s.region = string(v)
		case profileSetting:
			if v == "" {
				return s, invalid(errors.New("WithProfile: empty profile name"))
			}
			s.profile = string(v)
		case endpointSetting:
			u, err := url.Parse(string(v))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return s, invalid(fmt.Errorf("WithEndpoint(%q): want an http:// or https:// URL with a host", string(v)))
			}
			s.endpoint = string(v)
		case roleARNSetting:
			s.role = &roleSetting{arn: v.arn, session: v.session}
		case *roleSetting:
			s.role = v
		case configSetting:
			s.cfg = v.cfg
		default:
			return s, invalid(fmt.Errorf("%T is not an option of the AWS providers", x))
		}
	}
	if s.profile != "" && s.cfg != nil {
		return s, invalid(errors.New("WithProfile does not go with WithConfig: load the profile into the config yourself (config.WithSharedConfigProfile)"))
	}
	if s.role != nil {
		if s.role.arn == "" {
			return s, invalid(errors.New("WithAssumeRole: empty role ARN"))
		}
		for i, o := range s.role.opts {
			if o == nil {
				return s, invalid(fmt.Errorf("WithAssumeRole: option %d is nil", i+1))
			}
		}
		if s.role.session == "" {
			s.role = &roleSetting{arn: s.role.arn, session: "s1crets", opts: s.role.opts}
		}
	}
	return s, nil
}

func invalid(err error) error { return fmt.Errorf("%w: %w", s1crets.ErrInvalid, err) }

// loadConfig builds the aws.Config of a provider: the SDK's or the given
// one, a region, retry and timeout, and the assumed role's credentials.
func loadConfig(ctx context.Context, s settings) (awssdk.Config, func(), error) {
	release := func() {}
	cfg, err := loadConfigInto(ctx, s, &release)
	return cfg, release, err
}

// loadConfigInto is loadConfig; *release closes the idle connections of
// the HTTP client it builds.
func loadConfigInto(ctx context.Context, s settings, release *func()) (awssdk.Config, error) {
	var cfg awssdk.Config
	if s.cfg != nil {
		cfg = *s.cfg
	} else {
		var load []func(*config.LoadOptions) error
		if s.profile != "" {
			load = append(load, config.WithSharedConfigProfile(s.profile))
		}
		var err error
		if cfg, err = config.LoadDefaultConfig(ctx, load...); err != nil {
			return cfg, err
		}
	}
	if s.endpoint != "" {
		cfg.BaseEndpoint = &s.endpoint // also names the endpoint in the tiers' namespace
	}
	if s.region != "" {
		cfg.Region = s.region
	}
	if cfg.Region == "" {
		region, err := regionFromIMDS(ctx, cfg, s.imdsWait)
		if err != nil {
			return cfg, &noRegionError{imds: err}
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
		hc, tr := withTimeouts(awshttp.NewBuildableClient(), s.timeout)
		cfg.HTTPClient, *release = attemptClient{hc, s.timeout}, tr.CloseIdleConnections
	case *awshttp.BuildableClient:
		hc, tr := withTimeouts(c, s.timeout)
		cfg.HTTPClient, *release = attemptClient{hc, s.timeout}, tr.CloseIdleConnections
	default: // the caller's own client: its timeouts are its own
		cfg.HTTPClient = attemptClient{c, 0}
	}

	if s.role != nil {
		stsClient := sts.NewFromConfig(cfg, stsEndpoint(s.endpoint))
		role := stscreds.NewAssumeRoleProvider(stsClient, s.role.arn, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = s.role.session
			o.Duration = time.Hour
			for _, f := range s.role.opts {
				f(o)
			}
		})
		cfg.Credentials = awssdk.NewCredentialsCache(role)
	}
	return cfg, nil
}

// withTimeouts returns an HTTP client on the SDK's transport and dialer
// settings that bounds each attempt: connecting, the TLS handshake, the
// headers and, through the client's Timeout, the whole exchange with the
// body, so that an answer that stalls mid-body fails the attempt. The
// transport is the provider's own, so that Close can release its idle
// connections (and their goroutines).
func withTimeouts(c *awshttp.BuildableClient, d time.Duration) (*http.Client, *http.Transport) {
	tr, dialer := c.GetTransport(), c.GetDialer()
	dialer.Timeout = d
	tr.DialContext = dialer.DialContext
	tr.TLSHandshakeTimeout = d
	tr.ResponseHeaderTimeout = d
	return &http.Client{
		Timeout:   d,
		Transport: tr,
		// The SDK follows no redirect: a 3xx answer is the answer.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, tr
}

// ErrNoRegion is the error of a constructor that found no AWS region: no
// WithRegion, none in the SDK's chain (AWS_REGION, the shared config) and
// none from the EC2 instance metadata service. Test for it with errors.Is.
var ErrNoRegion = errors.New("s1crets: no AWS region")

// noRegionError is ErrNoRegion with the reason the instance metadata
// service gave none, which it unwraps to.
type noRegionError struct{ imds error }

func (e *noRegionError) Error() string {
	return ErrNoRegion.Error() + ": set AWS_REGION, a region in the shared config file, or the option aws.WithRegion; " + e.imds.Error()
}

func (e *noRegionError) Is(target error) bool { return target == ErrNoRegion }
func (e *noRegionError) Unwrap() error        { return e.imds }

// imdsDisabled reports whether AWS_EC2_METADATA_DISABLED turns the
// instance metadata service off, as the SDK reads it: in the environment,
// also for a config of WithConfig, which may carry no environment.
func imdsDisabled() bool {
	return strings.EqualFold(os.Getenv("AWS_EC2_METADATA_DISABLED"), "true")
}

// regionFromIMDS asks the instance metadata service (IMDSv2) for the
// region, within wait, unless AWS_EC2_METADATA_DISABLED (or the config)
// turns it off: then it asks nothing. The SDK's logger is kept quiet: its
// warnings (a fall-back to IMDSv1) are no news next to the error returned.
func regionFromIMDS(ctx context.Context, cfg awssdk.Config, wait time.Duration) (string, error) {
	if imdsDisabled() {
		return "", errors.New("the EC2 instance metadata service is not asked: AWS_EC2_METADATA_DISABLED is true")
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	client := imds.NewFromConfig(cfg, func(o *imds.Options) {
		o.Retryer = retry.AddWithMaxAttempts(retry.NewStandard(), 1)
		o.Logger = logging.Nop{}
	})
	out, err := client.GetRegion(ctx, &imds.GetRegionInput{})
	switch {
	case err == nil:
		return out.Region, nil
	case ctx.Err() != nil:
		return "", fmt.Errorf("the EC2 instance metadata service gave none: no answer within %v", wait)
	default:
		return "", fmt.Errorf("the EC2 instance metadata service gave none (%w)", err)
	}
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
		return driver.NotFound(err)
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

// identity names who reads and where, for the disk and shared tiers
// (driver.Identifier): the account and principal that STS
// GetCallerIdentity reports (asked once per provider, with the provider's
// own credentials, role included), the region and the endpoint. A session
// of an assumed role is named by its role: sessions of one role share
// entries, as they share the role's permissions.
type identity struct {
	sts    *sts.Client
	region string
	url    string

	mu sync.Mutex // guards id
	id string
}

func newIdentity(cfg awssdk.Config, endpoint string) *identity {
	return &identity{sts: sts.NewFromConfig(cfg, stsEndpoint(endpoint)), region: cfg.Region, url: awssdk.ToString(cfg.BaseEndpoint)}
}

// The option functions of WithEndpoint for each service's client: set on
// the client, the endpoint wins over the service-specific environment
// variables and shared config, which win over the config's BaseEndpoint.
func stsEndpoint(url string) func(*sts.Options) {
	return func(o *sts.Options) {
		if url != "" {
			o.BaseEndpoint = &url
		}
	}
}

// Identity implements driver.Identifier.
func (i *identity) Identity(ctx context.Context) (string, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.id != "" {
		return i.id, nil
	}
	out, err := i.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	principal := awssdk.ToString(out.Arn)
	// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION -> .../ROLE
	if j := strings.Index(principal, ":assumed-role/"); j >= 0 {
		if k := strings.LastIndexByte(principal, '/'); k > j+len(":assumed-role/") {
			principal = principal[:k]
		}
	}
	i.id = awssdk.ToString(out.Account) + "|" + principal + "|" + i.region + "|" + i.url
	return i.id, nil
}
