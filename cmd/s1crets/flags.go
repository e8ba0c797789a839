package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/providers/aws"
)

// awsFlags are the flags every command takes: the provider and the AWS
// options.
type awsFlags struct {
	provider    string
	region      string
	profile     string
	endpoint    string
	roleARN     string
	sessionName string
	externalID  string
	retry       int
	timeout     timeoutFlag
	verbose     bool       // see verbose.go
	disk        *diskFlags // see diskcache.go; nil for the commands without a disk cache
}

const commonFlagsHelp = `Flags of every command:
  --provider P            aws.sm (Secrets Manager, the default) or aws.ps (Parameter Store)
  --region REGION         AWS region (default: the SDK's: AWS_REGION, the shared config, EC2 metadata)
  --profile NAME          profile of the shared config and credentials files (as AWS_PROFILE)
  --endpoint-url URL      send every AWS call to URL (an emulator, a VPC endpoint), over the
                          AWS_ENDPOINT_URL variables
  --role-arn ARN          assume this IAM role for every call
  --role-session-name N   session name of the assumed role (default s1crets; needs --role-arn)
  --external-id ID        external ID for assuming the role (needs --role-arn)
  --retry N               total attempts of each AWS call (default 3)
  --timeout D             connect and read timeout of each attempt: a Go duration (500ms, 2s)
                          or a number of seconds (default 5s)
` + verboseHelp + `  -h, --help              show the help
Flags may come before or after the arguments; "--" ends the flags.
The AWS SDK's environment applies as usual: AWS_PROFILE, AWS_REGION, AWS_ACCESS_KEY_ID,
AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL_SECRETS_MANAGER, ...
`

// commonFlagsLine ends each command's help, instead of the whole block.
const commonFlagsLine = `Every command also takes --provider, --region, --profile, --endpoint-url,
--role-arn, --role-session-name, --external-id, --retry and --timeout:
see "s1crets --help", which also lists the exit codes.
`

// newFlagSet returns a flag set with the common flags bound to f.
func newFlagSet(name string, f *awsFlags) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // run reports errors itself, on one line
	fs.Usage = func() {}
	fs.StringVar(&f.provider, "provider", aws.SecretsManagerName, "")
	fs.StringVar(&f.region, "region", "", "")
	fs.StringVar(&f.profile, "profile", "", "")
	fs.StringVar(&f.endpoint, "endpoint-url", "", "")
	fs.StringVar(&f.roleARN, "role-arn", "", "")
	fs.StringVar(&f.sessionName, "role-session-name", "", "")
	fs.StringVar(&f.externalID, "external-id", "", "")
	fs.IntVar(&f.retry, "retry", s1crets.DefaultRetry, "")
	f.timeout = timeoutFlag(s1crets.DefaultTimeout)
	fs.Var(&f.timeout, "timeout", "")
	bindVerbose(fs, f)
	return fs
}

// check validates the common flags: a bad value is a usage error.
func (f *awsFlags) check(fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	switch {
	case f.provider != aws.SecretsManagerName && f.provider != aws.ParameterStoreName:
		return usagef("--provider %q: must be %s or %s", f.provider, aws.SecretsManagerName, aws.ParameterStoreName)
	case set["region"] && f.region == "":
		return usagef("--region: empty region")
	case set["profile"] && f.profile == "":
		return usagef("--profile: empty profile name")
	case set["endpoint-url"] && f.endpoint == "":
		return usagef("--endpoint-url: empty URL")
	case f.retry < 1:
		return usagef("--retry %d: the number of attempts must be at least 1", f.retry)
	case set["role-arn"] && f.roleARN == "":
		return usagef("--role-arn: empty role ARN")
	case f.roleARN == "" && set["role-session-name"]:
		return usagef("--role-session-name needs --role-arn")
	case f.roleARN == "" && set["external-id"]:
		return usagef("--external-id needs --role-arn")
	}
	if f.disk != nil {
		return f.disk.check(fs)
	}
	return nil
}

// bindDisk adds the disk cache's flags to fs, for the commands that take
// them.
func (f *awsFlags) bindDisk(fs *flag.FlagSet) {
	f.disk = &diskFlags{}
	f.disk.bind(fs)
}

// provider is what a command reads and writes through; the command closes
// it when done.
type provider interface {
	s1crets.Provider
	Close() error
}

// open builds the one provider of this invocation. A process of the tool
// reads each secret once; only the disk cache, when on, keeps what it read
// for the runs that follow.
func (f *awsFlags) open(ctx context.Context) (provider, error) {
	return f.openStore(ctx, f.provider, time.Duration(f.timeout), f.disk.options()...)
}

// openStore builds the AWS store name with the common flags, each AWS call
// bounded by timeout, and the command's own options (its cache).
func (f *awsFlags) openStore(ctx context.Context, name string, timeout time.Duration, extra ...aws.Option) (*s1crets.Client, error) {
	opts := []aws.Option{s1crets.Retry(f.retry), s1crets.Timeout(timeout)}
	if f.region != "" {
		opts = append(opts, aws.WithRegion(f.region))
	}
	if f.profile != "" {
		opts = append(opts, aws.WithProfile(f.profile))
	}
	if f.endpoint != "" {
		opts = append(opts, aws.WithEndpoint(f.endpoint))
	}
	if f.roleARN != "" {
		ext := f.externalID
		opts = append(opts, aws.WithAssumeRole(f.roleARN, f.sessionName, func(o *stscreds.AssumeRoleOptions) {
			if ext != "" {
				o.ExternalID = awssdk.String(ext)
			}
		}))
	}
	opts = append(opts, f.verboseOptions(ctx)...)
	opts = append(opts, extra...)
	var c *s1crets.Client
	var err error
	if name == aws.ParameterStoreName {
		var p *aws.ParameterStore
		if p, err = aws.NewParameterStore(ctx, opts...); err == nil {
			c = p.Client
		}
	} else {
		var p *aws.SecretsManager
		if p, err = aws.NewSecretsManager(ctx, opts...); err == nil {
			c = p.Client
		}
	}
	if errors.Is(err, aws.ErrNoRegion) {
		return nil, noRegion(name, err)
	}
	return c, err
}

// noRegion is the library's ErrNoRegion error told to a user of the tool,
// who sets a region with --region, not with aws.WithRegion.
func noRegion(provider string, err error) error {
	why := "the EC2 instance metadata service gave none"
	var e *s1crets.Error
	if errors.As(err, &e) {
		if cause := errors.Unwrap(e.Err); cause != nil { // the metadata service's answer
			why = cause.Error()
		}
	}
	return &s1crets.Error{Op: "new", Provider: provider, Err: fmt.Errorf(
		"%w: pass --region REGION, or set AWS_REGION or a region in the shared config file's profile; %s", aws.ErrNoRegion, why)}
}

// readFlags select what the reading commands read; the library refuses
// those that do not apply to the provider.
type readFlags struct {
	noDecrypt    bool
	versionStage string
	versionID    string
}

const noDecryptHelp = `  --no-decrypt            aws.ps: SecureString values as stored (encrypted), not decrypted
`

const versionsHelp = `  --version-stage LABEL   aws.sm: the version with this staging label (default AWSCURRENT)
  --version-id ID         aws.sm: the version with this id
`

// bind adds --no-decrypt to fs and, with versions, --version-stage and
// --version-id.
func (r *readFlags) bind(fs *flag.FlagSet, versions bool) {
	fs.BoolVar(&r.noDecrypt, "no-decrypt", false, "")
	if versions {
		fs.StringVar(&r.versionStage, "version-stage", "", "")
		fs.StringVar(&r.versionID, "version-id", "", "")
	}
}

// check refuses an empty version selector.
func (r *readFlags) check(fs *flag.FlagSet) error {
	var err error
	fs.Visit(func(fl *flag.Flag) {
		if (fl.Name == "version-stage" || fl.Name == "version-id") && fl.Value.String() == "" && err == nil {
			err = usagef("--%s: empty value", fl.Name)
		}
	})
	return err
}

// options are the per-call options of the flags, and of a key path.
func (r *readFlags) options(keys []string) []s1crets.Option {
	var opts []s1crets.Option
	if len(keys) > 0 {
		opts = append(opts, s1crets.KeyPath(keys...))
	}
	if r.noDecrypt {
		opts = append(opts, s1crets.Decrypt(false))
	}
	if r.versionStage != "" {
		opts = append(opts, s1crets.VersionStage(r.versionStage))
	}
	if r.versionID != "" {
		opts = append(opts, s1crets.VersionID(r.versionID))
	}
	return opts
}

// timeoutFlag is --timeout (and --cache-ttl): a Go duration ("500ms", "2s")
// or a number of seconds ("5", "0.5"), as the original's timeout in seconds.
type timeoutFlag time.Duration

func (t *timeoutFlag) String() string { return time.Duration(*t).String() }

func (t *timeoutFlag) Set(s string) error {
	d, err := parseTimeout(s)
	if err != nil {
		return err
	}
	*t = timeoutFlag(d)
	return nil
}

func parseTimeout(s string) (time.Duration, error) {
	var d time.Duration
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		if !(secs <= float64(1<<63-1)/float64(time.Second)) { // also NaN
			return 0, errors.New("too long")
		}
		d = time.Duration(secs * float64(time.Second))
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, errors.New("want a duration such as 500ms, 2s, 1m, or a number of seconds")
	}
	if d <= 0 {
		return 0, errors.New("the duration must be positive")
	}
	return d, nil
}

// parseArgs parses args with fs, allowing flags before and after the
// positional arguments as click does. "--" ends the flags: everything after
// it is positional, so key paths may start with "-". A lone "-" is
// positional (update's "read from stdin").
//
// When hideUnknown is set, an unknown flag is not named in the error: it
// may be a secret that starts with "-" (update's VALUE).
func parseArgs(fs *flag.FlagSet, args []string, hideUnknown bool) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			args = args[1:]
			continue
		}
		// A flag: give the flag package the flag and, when it takes a
		// separate value, that value too.
		n := 1
		name := strings.TrimLeft(a, "-")
		if i := strings.IndexByte(name, '='); i >= 0 {
			name = name[:i]
		} else if fl := fs.Lookup(name); fl != nil && !isBoolFlag(fl) && len(args) > 1 {
			n = 2
		}
		if name == "h" || name == "help" {
			return nil, errHelp
		}
		if err := fs.Parse(args[:n]); err != nil {
			if fs.Lookup(name) == nil && (hideUnknown || !plainName(name)) {
				return nil, usagef(`unknown flag (a value that starts with "-" goes after "--")`)
			}
			return nil, usagef("%s", flagError(err))
		}
		if fs.NArg() > 0 { // "-x" without its value; cannot happen for known flags
			return nil, usagef("flag %s: missing value", a)
		}
		args = args[n:]
	}
	return pos, nil
}

// plainName reports whether an unknown flag's name looks like a flag name,
// so that naming it in an error cannot show a mistyped secret.
func plainName(name string) bool {
	if len(name) == 0 || len(name) > 24 {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func isBoolFlag(fl *flag.Flag) bool {
	b, ok := fl.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// flagError rewrites the flag package's messages with the "--" spelling
// the help uses.
func flagError(err error) string {
	msg := err.Error()
	for _, p := range []string{"defined: -", "flag: -", "for flag -", "flag needs an argument: -"} {
		if i := strings.Index(msg, p); i >= 0 && !strings.HasPrefix(msg[i+len(p):], "-") {
			msg = msg[:i+len(p)] + "-" + msg[i+len(p):]
		}
	}
	return msg
}

// parseCommand parses a command's arguments and checks the common flags and
// the number of positional arguments (max < 0: no limit).
func parseCommand(fs *flag.FlagSet, f *awsFlags, args []string, min, max int, what string) ([]string, error) {
	pos, err := parseArgs(fs, args, fs.Name() == "update")
	if err != nil {
		return nil, err
	}
	if err := f.check(fs); err != nil {
		return nil, err
	}
	if len(pos) < min {
		return nil, usagef("missing arguments: want %s", what)
	}
	if max >= 0 && len(pos) > max {
		return nil, usagef("too many arguments: want %s, got %d arguments", what, len(pos))
	}
	return pos, nil
}
