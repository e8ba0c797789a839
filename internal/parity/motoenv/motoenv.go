// Package motoenv connects tests to moto's AWS emulator and to the venv of
// the original Python s1crets, as scripts/integration.sh provides them:
//
//	S1CRETS_TEST_MOTO_URL  moto's endpoint, http://127.0.0.1:PORT
//	S1CRETS_TEST_PY_VENV   a venv whose bin/python has s1crets 0.0.12 and
//	                       moto, and whose bin/s1crets is the original CLI
//
// Tests call URL or Venv first: without the variable they skip with a
// message that says how to run them, so that `go test ./...` stays hermetic.
//
// moto keeps one state for every test of a run, and packages run in
// parallel. Tests isolate themselves by account: moto keeps a separate
// backend per AWS account and takes the account of a request from the
// x-moto-account-id header, which Counter adds. Each test (or each provider
// of the conformance suite) works in an account of its own (NewAccount), so
// it can use plain names, and a reset of moto is never needed.
package motoenv

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// The environment variables of the test contract.
const (
	URLVar  = "S1CRETS_TEST_MOTO_URL"
	VenvVar = "S1CRETS_TEST_PY_VENV"
)

// Region is the region every test uses.
const Region = "us-east-1"

// DefaultAccount is moto's default account: requests without the account
// header, and credentials of a role in this account, see its data.
const DefaultAccount = "123456789012"

// URL returns moto's endpoint, or skips t when S1CRETS_TEST_MOTO_URL is not
// set.
func URL(t testing.TB) string {
	t.Helper()
	u := strings.TrimRight(os.Getenv(URLVar), "/")
	if u == "" {
		t.Skipf("%s is not set: this test runs against moto's server; run scripts/integration.sh "+
			"(or set %s=http://127.0.0.1:PORT to a running `python -m moto.server`)", URLVar, URLVar)
	}
	return u
}

// Venv returns the venv of the original s1crets, or skips t when
// S1CRETS_TEST_PY_VENV is not set.
func Venv(t testing.TB) string {
	t.Helper()
	v := os.Getenv(VenvVar)
	if v == "" {
		t.Skipf("%s is not set: this test compares with the Python s1crets 0.0.12; run scripts/integration.sh "+
			"(or set %s to a venv made by scripts/pyenv.sh)", VenvVar, VenvVar)
	}
	return v
}

// NewAccount returns a random 12-digit account id, never moto's default.
func NewAccount() string {
	for {
		var b [8]byte
		_, _ = rand.Read(b[:])
		n := binary.BigEndian.Uint64(b[:]) % 900_000_000_000
		if a := fmt.Sprintf("%012d", 100_000_000_000+n); a != DefaultAccount {
			return a
		}
	}
}

// RandomSuffix returns 8 random lowercase letters and digits, for names
// that must be unique within a run.
func RandomSuffix() string {
	const abc = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [8]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = abc[int(b[i])%len(abc)]
	}
	return string(b[:])
}

// Counter is an http.RoundTripper that counts the calls made to moto per
// operation ("GetParameter", "AssumeRole", ...) and, when Account is set,
// sends them to that moto account.
//
// A call is what the library asks the SDK for; the SDK may make it in
// several attempts (on a busy machine moto sometimes drops a connection and
// the SDK retries). Calls and Total count calls: the first attempt of each,
// as the SDK's amz-sdk-request header numbers them. Attempts counts every
// request.
type Counter struct {
	// Account, when not empty, is sent as x-moto-account-id. Leave it empty
	// for a provider that assumes a role: moto then takes the account from
	// the role's credentials.
	Account string
	// Base does the requests; nil means http.DefaultTransport.
	Base http.RoundTripper

	mu       sync.Mutex
	calls    map[string]int
	attempts map[string]int
	total    int
	denied   map[string]bool
}

// Deny makes the requests for op answer AccessDeniedException without
// reaching moto, which checks no permissions: an IAM policy that does not
// allow op. They are still counted.
func (c *Counter) Deny(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.denied == nil {
		c.denied = map[string]bool{}
	}
	c.denied[op] = true
}

// RoundTrip counts req and passes it on.
func (c *Counter) RoundTrip(req *http.Request) (*http.Response, error) {
	op := operation(req)
	first := !strings.Contains(req.Header.Get("amz-sdk-request"), "attempt=") ||
		strings.Contains(req.Header.Get("amz-sdk-request"), "attempt=1;")
	c.mu.Lock()
	if c.calls == nil {
		c.calls, c.attempts = map[string]int{}, map[string]int{}
	}
	c.attempts[op]++
	if first {
		c.calls[op]++
		c.total++
	}
	denied := c.denied[op]
	c.mu.Unlock()
	if denied {
		return accessDenied(req, op), nil
	}
	if c.Account != "" {
		req = req.Clone(req.Context())
		req.Header.Set("x-moto-account-id", c.Account)
	}
	base := c.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(req)
}

// accessDenied is the answer of the JSON protocols to a request that IAM
// does not allow.
func accessDenied(req *http.Request, op string) *http.Response {
	body := fmt.Sprintf(`{"__type":"AccessDeniedException","message":"User: arn:aws:iam::%s:user/test is not authorized to perform: %s because no identity-based policy allows it"}`, DefaultAccount, op)
	h := http.Header{}
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("X-Amzn-ErrorType", "AccessDeniedException")
	h.Set("X-Amzn-RequestId", "denied-by-motoenv")
	if req.Body != nil {
		req.Body.Close()
	}
	return &http.Response{
		Status: "400 Bad Request", StatusCode: http.StatusBadRequest, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)), Request: req,
	}
}

// operation names the AWS operation of req: the SDK puts it in the
// request's context; X-Amz-Target for other clients of the JSON protocols.
func operation(req *http.Request) string {
	if op := awsmiddleware.GetOperationName(req.Context()); op != "" {
		return op
	}
	if t := req.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndexByte(t, '.')+1:]
	}
	return "?"
}

// Calls returns the number of calls of op so far.
func (c *Counter) Calls(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[op]
}

// Attempts returns the number of requests for op so far, retries included.
func (c *Counter) Attempts(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.attempts[op]
}

// Total returns the number of calls so far.
func (c *Counter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.total
}

// Reset sets every count to 0.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls, c.attempts, c.total = nil, nil, 0
}

// Config returns an aws.Config for moto at url: static dummy credentials,
// Region, and c as its HTTP client. moto does not check credentials.
func Config(url string, c *Counter) awssdk.Config {
	return awssdk.Config{
		Region:       Region,
		BaseEndpoint: awssdk.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDMOTOTEST", "moto-test-secret", ""),
		HTTPClient:   &http.Client{Transport: c},
	}
}

// Reachable reports an error when nothing answers at url.
func Reachable(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/moto-api/data.json", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("moto does not answer at %s (%s): %w", url, URLVar, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("moto at %s answered %s to /moto-api/data.json", url, resp.Status)
	}
	return nil
}
