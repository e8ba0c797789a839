package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/s1crets/s1crets/driver"
)

// Limits of the stores' names, from the AWS documentation.
const (
	maxParameterName  = 1011
	maxParameterLevel = 15
	maxSecretName     = 512
	maxSecretARN      = 2048
)

func validChars(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(extra, c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// Validate rejects names that Parameter Store would reject, and options
// that do not apply to it, before any remote call.
func (p *parameterStore) Validate(op driver.Op, path string, q driver.Query) error {
	switch {
	case q.VersionStage != "":
		return errors.New("VersionStage does not apply to Parameter Store: select a version with NAME:VERSION or NAME:LABEL")
	case q.VersionID != "":
		return errors.New("VersionID does not apply to Parameter Store: select a version with NAME:VERSION or NAME:LABEL")
	case !q.FailOnError:
		return errors.New("FailOnError does not apply to Parameter Store (it reads a path in pages and fails as a whole)")
	case !q.Recursive && op != driver.OpGetByPath:
		return errors.New("Recursive applies only to GetByPath")
	}
	if op == driver.OpGetMany {
		op = driver.OpGet
	}
	if strings.HasPrefix(path, ReferencePrefix) {
		if op != driver.OpGet && op != driver.OpPathExists {
			return fmt.Errorf("%q: %s is read-only: Get and PathExists read Secrets Manager secrets through it", path, ReferencePrefix)
		}
		if len(path) == len(ReferencePrefix) {
			return fmt.Errorf("%q: a secret name must follow %s", path, ReferencePrefix)
		}
		return nil // the rest is a secret name and JSON keys, checked by Secrets Manager
	}
	name, sel := path, ""
	if strings.HasPrefix(path, "arn:") {
		if op != driver.OpGet && op != driver.OpPathExists {
			return fmt.Errorf("%q: %s takes a parameter name, not an ARN", path, op)
		}
		var err error
		if name, err = parameterARN(path); err != nil {
			return err
		}
	}
	if op == driver.OpGet {
		// GetParameter accepts NAME:VERSION and NAME:LABEL.
		if i := strings.LastIndexByte(name, ':'); i >= 0 {
			name, sel = name[:i], name[i+1:]
			if err := validSelector(path, sel); err != nil {
				return err
			}
		}
	}
	if name == "" {
		return fmt.Errorf("%q: the parameter name is empty", path)
	}
	switch {
	case len(name) > maxParameterName:
		return fmt.Errorf("a Parameter Store name has at most %d characters; this one has %d", maxParameterName, len(name))
	case !validChars(name, "_.-/"):
		return fmt.Errorf("%q: a Parameter Store name may contain only letters, digits and the characters _ . - /", path)
	case op == driver.OpGetByPath && !strings.HasPrefix(name, "/"):
		return fmt.Errorf("%q: a Parameter Store path must begin with \"/\"", path)
	case strings.Contains(name, "/") && !strings.HasPrefix(name, "/"):
		return fmt.Errorf("%q: a Parameter Store name with \"/\" must begin with \"/\"", path)
	case strings.Count(strings.TrimSuffix(name, "/"), "/") > maxParameterLevel:
		return fmt.Errorf("%q: a Parameter Store name has at most %d levels", path, maxParameterLevel)
	case op == driver.OpUpdate && hasReservedPrefix(name):
		return fmt.Errorf("%q: names beginning with \"aws\" or \"ssm\" are reserved by AWS", path)
	}
	return nil
}

// parameterARN returns the parameter name (with any selector) of a
// Parameter Store ARN: arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME,
// where NAME is written without its leading "/".
func parameterARN(arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || !validARNHead(parts, "ssm") || !strings.HasPrefix(parts[5], "parameter/") {
		return "", fmt.Errorf("%q: a Parameter Store ARN is arn:PARTITION:ssm:REGION:ACCOUNT:parameter/NAME", arn)
	}
	return "/" + strings.TrimPrefix(parts[5], "parameter/"), nil
}

// validARNHead checks the partition, service, region and account of an
// ARN split at its first five colons.
func validARNHead(parts []string, service string) bool {
	account := parts[4]
	return parts[0] == "arn" && parts[1] != "" && validChars(parts[1], "-") && parts[2] == service &&
		parts[3] != "" && validChars(parts[3], "-") && len(account) == 12 && strings.Trim(account, "0123456789") == ""
}

// validSelector checks a version (a positive number) or a label (at most
// 100 letters, digits and . - _, not beginning with a digit, "aws" or
// "ssm") after NAME:.
func validSelector(path, sel string) error {
	if sel != "" && strings.Trim(sel, "0123456789") == "" {
		if sel[0] == '0' {
			return fmt.Errorf("%q: a parameter version is a number from 1", path)
		}
		return nil
	}
	lower := strings.ToLower(sel)
	switch {
	case sel == "" || len(sel) > 100 || !validChars(sel, "_.-"):
		return fmt.Errorf("%q: after the name, \":\" must be followed by a version number or a label (1 to 100 letters, digits, _ . -)", path)
	case sel[0] >= '0' && sel[0] <= '9':
		return fmt.Errorf("%q: a parameter label cannot begin with a digit", path)
	case strings.HasPrefix(lower, "aws") || strings.HasPrefix(lower, "ssm"):
		return fmt.Errorf("%q: a parameter label cannot begin with \"aws\" or \"ssm\"", path)
	}
	return nil
}

func hasReservedPrefix(name string) bool {
	first := strings.ToLower(strings.TrimPrefix(name, "/"))
	if i := strings.IndexByte(first, '/'); i >= 0 && strings.HasPrefix(name, "/") {
		first = first[:i]
	}
	return strings.HasPrefix(first, "aws") || strings.HasPrefix(first, "ssm")
}

// Validate rejects secret ids that Secrets Manager would reject, and
// options that do not apply to it, before any remote call: a name of 1 to
// 512 letters, digits and / _ + = . @ - !, or an ARN.
func (s *secretsManager) Validate(op driver.Op, path string, q driver.Query) error {
	switch {
	case !q.Decrypt:
		return errors.New("Decrypt does not apply to Secrets Manager (it always decrypts)")
	case !q.Recursive:
		return errors.New("Recursive does not apply to Secrets Manager (GetByPath matches a name prefix)")
	case op == driver.OpGetByPath && (q.VersionStage != "" || q.VersionID != ""):
		return errors.New("VersionStage and VersionID do not apply to GetByPath: it reads the AWSCURRENT version of each secret")
	case !q.FailOnError && op != driver.OpGetByPath:
		return errors.New("FailOnError applies only to GetByPath")
	}
	if strings.HasPrefix(path, "arn:") && op != driver.OpGetByPath {
		// arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME, where
		// NAME may end with the 6-character suffix AWS adds (a full ARN)
		// or not (a partial ARN).
		parts := strings.SplitN(path, ":", 7)
		if len(path) > maxSecretARN || len(parts) != 7 || !validARNHead(parts, "secretsmanager") || parts[5] != "secret" {
			return fmt.Errorf("%q: a Secrets Manager ARN is arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME, at most %d characters", path, maxSecretARN)
		}
		if parts[6] == "" || !validChars(parts[6], "/_+=.@-!") {
			return fmt.Errorf("%q: a Secrets Manager ARN may contain only letters, digits and the characters / _ + = . @ - ! in its name", path)
		}
		return nil
	}
	switch {
	case len(path) > maxSecretName:
		return fmt.Errorf("a Secrets Manager name has at most %d characters; this one has %d", maxSecretName, len(path))
	case !validChars(path, "/_+=.@-!"):
		return fmt.Errorf("%q: a Secrets Manager name may contain only letters, digits and the characters / _ + = . @ - !", path)
	}
	return nil
}

var (
	retryables = retry.IsErrorRetryables(retry.DefaultRetryables)
	throttles  = retry.IsErrorThrottles(retry.DefaultThrottles)
)

// transient reports errors that a later call may not meet: throttling, 5xx
// answers, network errors and timeouts. Missing secrets and denied access
// are not transient.
func transient(err error) bool {
	if err == nil || isNotFound(err) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	return retryables.IsErrorRetryable(err) == awssdk.TrueTernary ||
		throttles.IsErrorThrottle(err) == awssdk.TrueTernary
}

// Transient implements driver.TransientChecker.
func (p *parameterStore) Transient(err error) bool { return transient(err) }

// Transient implements driver.TransientChecker.
func (s *secretsManager) Transient(err error) bool { return transient(err) }
