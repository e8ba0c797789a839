package awsfake

import (
	"fmt"
	"time"
)

// Fault describes how the server misbehaves for a request instead of (or
// before) answering it normally.
//
// A Fault with only Delay set answers normally after the delay. A Fault with
// Code or Status set answers that error (after Delay, if any). Drop closes
// the connection without answering (after Delay, if any). StallBody sends
// the normal answer's headers and half its body, then stalls.
//
// Error answers use the protocol of the request's service: for SSM and
// Secrets Manager a JSON body {"__type": Code, "message": Message} plus the
// X-Amzn-ErrorType header; for STS the XML ErrorResponse, where the JSON
// style codes are translated to their STS spelling
// ("ThrottlingException" -> "Throttling", "AccessDeniedException" ->
// "AccessDenied" with status 403).
type Fault struct {
	// Status is the HTTP status of the error answer (default 400 when Code is
	// set).
	Status int
	// Code is the AWS error code, e.g. "ThrottlingException".
	Code string
	// Message is the error message.
	Message string
	// Delay is how long to wait before answering. The wait ends early, and
	// nothing is answered, when the client goes away or the server closes.
	Delay time.Duration
	// Drop hijacks the connection and closes it without answering.
	Drop bool
	// StallBody answers normally, but sends only the headers (with the
	// whole answer's Content-Length) and the first half of the body, then
	// stalls until the client goes away or the server closes: an answer
	// that stops mid-body. It applies to answers that are not errors.
	StallBody bool
}

// Predefined faults, with the codes real AWS uses.
var (
	// Throttling is the throttling answer of the JSON services
	// (400 ThrottlingException, "Rate exceeded"); the SDK retries it. On STS
	// it is answered as code "Throttling".
	Throttling = Fault{Status: 400, Code: "ThrottlingException", Message: "Rate exceeded"}
	// InternalError is a 500 InternalFailure, the generic AWS server error;
	// the SDK retries it.
	InternalError = Fault{Status: 500, Code: "InternalFailure", Message: "An internal error occurred."}
	// ServiceUnavailable is a 503 ServiceUnavailable; the SDK retries it.
	ServiceUnavailable = Fault{Status: 503, Code: "ServiceUnavailable", Message: "Service Unavailable"}
	// ExpiredToken is what AWS answers to requests signed with expired
	// temporary credentials: 400 ExpiredTokenException (STS uses the same
	// code). The SDK does not retry it.
	ExpiredToken = Fault{Status: 400, Code: "ExpiredTokenException", Message: "The security token included in the request is expired"}
	// AccessDenied is an IAM denial: 400 AccessDeniedException (403
	// AccessDenied on STS).
	AccessDenied = Fault{Status: 400, Code: "AccessDeniedException", Message: "User: arn:aws:iam::123456789012:user/fake is not authorized to perform this operation"}
	// KMSAccessDenied is the answer when the caller may not use the KMS key
	// that protects a SecureString or secret. Both SSM and Secrets Manager
	// pass it through as AccessDeniedException (Secrets Manager's message is
	// "Access to KMS is not allowed"); only the message tells it from an IAM
	// denial.
	KMSAccessDenied = Fault{Status: 400, Code: "AccessDeniedException", Message: "Access to KMS is not allowed"}
	// DecryptionFailure is Secrets Manager's answer when KMS cannot decrypt
	// the secret (400 DecryptionFailure).
	DecryptionFailure = Fault{Status: 400, Code: "DecryptionFailure", Message: "Secrets Manager can't decrypt the protected secret text using the provided KMS key."}
	// InvalidKeyID is SSM's answer when the KMS key of a SecureString is not
	// valid or not enabled (400 InvalidKeyId).
	InvalidKeyID = Fault{Status: 400, Code: "InvalidKeyId", Message: "The query key ID isn't valid."}
)

type pendingFault struct {
	op    string
	left  int
	fault Fault
}

// FailNext makes the next n requests for op get fault f. op "" matches any
// operation. Calls queue up: the oldest pending entry that matches a request
// is used first.
func (s *Server) FailNext(op string, n int, f Fault) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, &pendingFault{op: op, left: n, fault: f})
}

// Deny makes every request for op answer AccessDeniedException (AccessDenied
// on STS) until [Server.Allow] is called for op.
//
// Denying "GetSecretValue" also denies, per secret, the values that
// BatchGetSecretValue and GetParameter on /aws/reference/secretsmanager/...
// would read, since AWS checks secretsmanager:GetSecretValue for those too:
// BatchGetSecretValue then lists them in Errors.
func (s *Server) Deny(op string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied[op] = true
}

// Allow undoes [Server.Deny] for op.
func (s *Server) Allow(op string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.denied, op)
}

// SetHook installs a function called for every request that has no pending
// [Server.FailNext] fault and is not denied; a non-nil result is applied as
// that request's fault. The hook runs without the server lock, so it may call
// the server's methods. nil removes the hook.
func (s *Server) SetHook(h func(r Request) *Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hook = h
}

// takeFault returns the fault for req from FailNext or Deny. s.mu held.
func (s *Server) takeFault(req Request) *Fault {
	for i, p := range s.failNext {
		if p.op != "" && p.op != req.Op {
			continue
		}
		f := p.fault
		p.left--
		if p.left <= 0 {
			s.failNext = append(s.failNext[:i:i], s.failNext[i+1:]...)
		}
		return &f
	}
	if s.denied[req.Op] {
		f := AccessDenied
		f.Message = s.deniedMessage(req.Service, req.Op)
		return &f
	}
	return nil
}

func (s *Server) deniedMessage(service, op string) string {
	if service == "" {
		service = "unknown"
	}
	return fmt.Sprintf("User: arn:aws:iam::%s:user/fake is not authorized to perform: %s:%s because no identity-based policy allows the %s:%s action",
		s.account, service, op, service, op)
}
