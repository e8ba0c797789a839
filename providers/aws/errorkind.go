package aws

import (
	"context"
	"errors"
	"net"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s1crets/s1crets/driver"
)

// deniedCodes are the AWS error codes of a caller that may not do what it
// asked: IAM and KMS denials and credentials AWS does not take. With
// notFoundCodes, the only table of codes; throttling and retryable errors
// are the SDK's own (retry.DefaultThrottles, retry.DefaultRetryables).
var deniedCodes = map[string]bool{
	"AccessDeniedException":       true, // SSM, Secrets Manager, KMS (passed through)
	"AccessDenied":                true, // STS
	"UnrecognizedClientException": true, // an unknown access key
	"InvalidClientTokenId":        true, // STS: an unknown access key
	"InvalidSignatureException":   true, // a wrong secret key
	"SignatureDoesNotMatch":       true, // STS: a wrong secret key
	"ExpiredTokenException":       true, // expired temporary credentials, still expired after a renewal
	"ExpiredToken":                true, // STS
	"IncompleteSignature":         true,
	"MissingAuthenticationToken":  true,
}

// errorKind classifies the errors of the AWS stores for the statistics and
// events of package s1crets (driver.ErrorClassifier).
func errorKind(err error) driver.ErrorKind {
	var at *attemptTimeout
	var ne net.Error
	switch {
	case err == nil:
		return driver.KindOther
	case isNotFound(err):
		return driver.KindNotFound
	case deniedCodes[code(err)]:
		return driver.KindDenied
	case throttles.IsErrorThrottle(err) == awssdk.TrueTernary:
		return driver.KindThrottled
	case errors.As(err, &at), errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return driver.KindTimeout
	case retryables.IsErrorRetryable(err) == awssdk.TrueTernary, errors.As(err, &ne):
		return driver.KindNetwork // a lost connection or a 5xx answer
	}
	return driver.KindOther
}

// ErrorKind implements driver.ErrorClassifier.
func (p *parameterStore) ErrorKind(err error) driver.ErrorKind { return errorKind(err) }

// ErrorKind implements driver.ErrorClassifier.
func (s *secretsManager) ErrorKind(err error) driver.ErrorKind { return errorKind(err) }
