package aws_test

// The fault matrix: what each provider does, through its public API, when
// AWS throttles, fails, answers slowly, drops the connection, rejects the
// credentials or denies access, and when the caller's context ends. Every
// case runs against the in-process fake, whose config retries without
// backoff, so the whole matrix takes a few seconds.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/awsfake"
	"github.com/s1crets/s1crets/providers/aws"
)

// faultStore is one provider under test: how to build it, the remote
// operation behind a Get, and the remote operations behind each method.
type faultStore struct {
	name    string
	getOp   string // remote operation of Get(path)
	path    string // a seeded secret whose text is "v"
	missing string // a path that does not exist
	open    func(t *testing.T, f *awsfake.Server, opts ...aws.Option) s1crets.Provider
	ops     []faultOp
}

// faultOp is one public method and one remote operation that it makes.
type faultOp struct {
	name   string
	remote string
	setup  func(f *awsfake.Server) // optional, before the call
	call   func(ctx context.Context, p s1crets.Provider) error
}

// seedFaults puts the fixtures of the fault tests into f.
func seedFaults(f *awsfake.Server) {
	f.PutParameter(awsfake.Parameter{Name: "/fault/p", Value: "v", Type: "SecureString"})
	f.PutParameter(awsfake.Parameter{Name: "/fault/q", Value: "w", Type: "String"})
	f.PutSecretString("fault/s", "v")
	f.PutSecretString("fault/json", `{"user":"u"}`)
}

func get(path string, opts ...s1crets.Option) func(context.Context, s1crets.Provider) error {
	return func(ctx context.Context, p s1crets.Provider) error {
		_, err := p.Get(ctx, path, opts...)
		return err
	}
}

func getByPath(path string) func(context.Context, s1crets.Provider) error {
	return func(ctx context.Context, p s1crets.Provider) error {
		m, err := p.GetByPath(ctx, path, s1crets.NoCache())
		if err == nil && len(m) == 0 {
			return errors.New("GetByPath found nothing")
		}
		return err
	}
}

func update(path, value string) func(context.Context, s1crets.Provider) error {
	return func(ctx context.Context, p s1crets.Provider) error { return p.Update(ctx, path, value) }
}

func pathExists(path string) func(context.Context, s1crets.Provider) error {
	return func(ctx context.Context, p s1crets.Provider) error {
		ok, err := p.PathExists(ctx, path, s1crets.NoCache())
		if err == nil && !ok {
			return errors.New("PathExists answered false")
		}
		return err
	}
}

var faultStores = []faultStore{
	{
		name: "aws.ps", getOp: "GetParameter", path: "/fault/p", missing: "/fault/missing",
		open: func(t *testing.T, f *awsfake.Server, opts ...aws.Option) s1crets.Provider {
			return newPS(t, f, opts...)
		},
		ops: []faultOp{
			{name: "Get", remote: "GetParameter", call: get("/fault/p", s1crets.NoCache())},
			{name: "GetReference", remote: "GetParameter", call: get(aws.ReferencePrefix+"fault/json", s1crets.KeyPath("user"), s1crets.NoCache())},
			{name: "GetByPath", remote: "GetParametersByPath", call: getByPath("/fault")},
			{name: "Update/describe", remote: "DescribeParameters", call: update("/fault/q", "w2")},
			{name: "Update/put", remote: "PutParameter", call: update("/fault/q", "w3")},
			{name: "PathExists", remote: "DescribeParameters", call: pathExists("/fault")},
		},
	},
	{
		name: "aws.sm", getOp: "GetSecretValue", path: "fault/s", missing: "fault/missing",
		open: func(t *testing.T, f *awsfake.Server, opts ...aws.Option) s1crets.Provider {
			return newSM(t, f, opts...)
		},
		ops: []faultOp{
			{name: "Get", remote: "GetSecretValue", call: get("fault/s", s1crets.NoCache())},
			{name: "GetByPath", remote: "BatchGetSecretValue", call: getByPath("fault/")},
			{
				name: "GetByPath/fallback", remote: "ListSecrets", call: getByPath("fault/"),
				setup: func(f *awsfake.Server) { f.Deny("BatchGetSecretValue") },
			},
			{name: "Update/read", remote: "GetSecretValue", call: update("fault/s", "v2")},
			{name: "Update/put", remote: "PutSecretValue", call: update("fault/s", "v3")},
			{name: "PathExists", remote: "GetSecretValue", call: pathExists("fault/s")},
		},
	},
}

// start returns a seeded fake and the store's provider on it.
func (s faultStore) start(t *testing.T, opts ...aws.Option) (*awsfake.Server, s1crets.Provider) {
	t.Helper()
	f := newFake(t)
	seedFaults(f)
	return f, s.open(t, f, opts...)
}

// requireCleanAPIError checks the shape every failed call must have: an
// *s1crets.Error naming the operation, "s1crets: " first, the AWS code in
// the message and reachable with errors.As, and not ErrNotFound.
func requireCleanAPIError(t *testing.T, err error, code string) {
	t.Helper()
	require.Error(t, err)
	var e *s1crets.Error
	require.ErrorAs(t, err, &e, "every error is an *s1crets.Error")
	assert.True(t, strings.HasPrefix(err.Error(), "s1crets: "), err.Error())
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae, "the AWS error stays reachable: %v", err)
	assert.Equal(t, code, ae.ErrorCode())
	assert.Contains(t, err.Error(), code, "the message names the AWS code")
	assert.NotErrorIs(t, err, s1crets.ErrNotFound)
	assert.NotErrorIs(t, err, s1crets.ErrInvalid)
}

// Throttling for k attempts, then success: the call succeeds while
// k < Retry and fails with ThrottlingException after Retry attempts; the
// store sees exactly min(k+1, Retry) requests.
func TestFaultThrottling(t *testing.T) {
	for _, s := range faultStores {
		for _, retry := range []int{1, 3, 5} {
			for k := 0; k <= retry+1; k++ {
				t.Run(fmt.Sprintf("%s/retry=%d/k=%d", s.name, retry, k), func(t *testing.T) {
					f, p := s.start(t, s1crets.Retry(retry))
					f.FailNext(s.getOp, k, awsfake.Throttling)
					v, err := p.Get(ctx, s.path)
					if k < retry {
						require.NoError(t, err)
						assert.Equal(t, "v", v.Text())
					} else {
						requireCleanAPIError(t, err, "ThrottlingException")
					}
					assert.Equal(t, min(k+1, retry), f.Calls(s.getOp))
				})
			}
		}
	}
}

// 500 and 503 answers are retried like throttling: success when an attempt
// is left, else a clean error that keeps the code and the HTTP status.
func TestFaultServerErrors(t *testing.T) {
	for _, s := range faultStores {
		for _, fault := range []awsfake.Fault{awsfake.InternalError, awsfake.ServiceUnavailable} {
			t.Run(fmt.Sprintf("%s/%d/recovers", s.name, fault.Status), func(t *testing.T) {
				f, p := s.start(t)
				f.FailNext(s.getOp, 2, fault)
				v, err := p.Get(ctx, s.path)
				require.NoError(t, err)
				assert.Equal(t, "v", v.Text())
				assert.Equal(t, 3, f.Calls(s.getOp))
			})
			t.Run(fmt.Sprintf("%s/%d/fails", s.name, fault.Status), func(t *testing.T) {
				f, p := s.start(t)
				f.FailNext(s.getOp, 3, fault)
				_, err := p.Get(ctx, s.path)
				requireCleanAPIError(t, err, fault.Code)
				var re *awshttp.ResponseError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, fault.Status, re.HTTPStatusCode())
				assert.Equal(t, 3, f.Calls(s.getOp))

				// A failure is not cached but backed off: the next read gets
				// the same error at once, without a request...
				_, err = p.Get(ctx, s.path)
				requireCleanAPIError(t, err, fault.Code)
				assert.Equal(t, 3, f.Calls(s.getOp))
				// ...and a NoCache read asks again.
				v, err := p.Get(ctx, s.path, s1crets.NoCache())
				require.NoError(t, err)
				assert.Equal(t, "v", v.Text())
				assert.Equal(t, 4, f.Calls(s.getOp))
			})
		}
	}
}

// A connection closed without an answer is retried.
func TestFaultDroppedConnection(t *testing.T) {
	for _, s := range faultStores {
		t.Run(s.name+"/recovers", func(t *testing.T) {
			f, p := s.start(t)
			f.FailNext(s.getOp, 2, awsfake.Fault{Drop: true})
			v, err := p.Get(ctx, s.path)
			require.NoError(t, err)
			assert.Equal(t, "v", v.Text())
			assert.Equal(t, 3, f.Calls(s.getOp))
		})
		t.Run(s.name+"/fails", func(t *testing.T) {
			f, p := s.start(t)
			f.FailNext(s.getOp, 3, awsfake.Fault{Drop: true})
			_, err := p.Get(ctx, s.path)
			require.Error(t, err)
			var e *s1crets.Error
			require.ErrorAs(t, err, &e)
			assert.True(t, strings.HasPrefix(err.Error(), "s1crets: get "+s.name), err.Error())
			assert.NotErrorIs(t, err, s1crets.ErrNotFound)
			var ae smithy.APIError
			assert.False(t, errors.As(err, &ae), "no answer, so no API error: %v", err)
			t.Log(err)
			assert.Equal(t, 3, f.Calls(s.getOp))
		})
	}
}

// An answer slower than Timeout: each attempt gives up after Timeout, so
// the call fails after attempts x Timeout (30s answers would succeed: the
// error and the count show that every attempt gave up); one slow answer
// then a normal one succeeds.
func TestFaultSlowAnswer(t *testing.T) {
	const timeout = 200 * time.Millisecond
	for _, s := range faultStores {
		for _, retry := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/retry=%d/fails", s.name, retry), func(t *testing.T) {
				f, p := s.start(t, s1crets.Timeout(timeout), s1crets.Retry(retry))
				f.FailNext(s.getOp, retry, awsfake.Fault{Delay: 30 * time.Second})
				start := time.Now()
				_, err := p.Get(ctx, s.path)
				elapsed := time.Since(start)
				require.Error(t, err)
				assert.GreaterOrEqual(t, elapsed, time.Duration(retry)*timeout)
				assert.Equal(t, retry, f.Calls(s.getOp))
				var e *s1crets.Error
				require.ErrorAs(t, err, &e)
				assert.NotErrorIs(t, err, s1crets.ErrNotFound)
				assert.Contains(t, err.Error(), "timeout", "the message says it timed out")
				t.Log(err)
			})
		}
		t.Run(s.name+"/recovers", func(t *testing.T) {
			// A timeout that a normal answer meets on a busy machine too:
			// only the slow answer may time out.
			t.Parallel()
			f, p := s.start(t, s1crets.Timeout(2*time.Second))
			f.FailNext(s.getOp, 1, awsfake.Fault{Delay: 30 * time.Second})
			v, err := p.Get(ctx, s.path)
			require.NoError(t, err)
			assert.Equal(t, "v", v.Text())
			assert.Equal(t, 2, f.Calls(s.getOp), "the slow attempt was given up, not waited for")
		})
	}
}

// An answer that sends its headers and half its body, then stalls: Timeout
// bounds each attempt's whole exchange, body included, so the call fails
// well within its context; and the shared load that it ran ended with it,
// so a later Get makes a new request instead of waiting on the stalled one.
func TestFaultStalledBody(t *testing.T) {
	for _, s := range faultStores {
		for _, retry := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/retry=%d", s.name, retry), func(t *testing.T) {
				// No failure backoff: the point is that the second Get is not
				// wedged behind the stalled answer.
				f, p := s.start(t, s1crets.Timeout(200*time.Millisecond), s1crets.Retry(retry),
					s1crets.Cache(s1crets.CacheConfig{FailureBackoff: -1}))
				var stall atomic.Bool
				stall.Store(true)
				f.SetHook(func(r awsfake.Request) *awsfake.Fault {
					if stall.Load() && r.Op == s.getOp {
						return &awsfake.Fault{StallBody: true}
					}
					return nil
				})
				cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
				_, err := p.Get(cctx, s.path)
				require.Error(t, err)
				require.NoError(t, cctx.Err(), "the call failed before its context ended: %v", err)
				var e *s1crets.Error
				assert.ErrorAs(t, err, &e)
				assert.NotErrorIs(t, err, s1crets.ErrNotFound)
				assert.Contains(t, err.Error(), "timeout", "the message says the attempt timed out")
				t.Log(err)
				first := f.Calls(s.getOp)
				assert.Equal(t, retry, first, "each attempt got a stalled answer")

				stall.Store(false)
				v, err := p.Get(cctx, s.path)
				require.NoError(t, err)
				assert.Equal(t, "v", v.Text())
				assert.Equal(t, first+1, f.Calls(s.getOp), "the second Get made a new request: nothing is wedged")
			})
		}
	}
}

// heldTimeout is the per-attempt timeout of the context tests: longer than
// they ever wait, so that nothing but the caller's context can end a call
// whose request the store holds (see holdRequests).
const heldTimeout = time.Minute

// holdRequests makes the store hold every request for remote (any request
// when "") unanswered until the returned function is called; arrived, if
// not nil, is called as each of them reaches the store. The returned
// function lets them be answered normally, then waits for the remote call
// that a caller gave up on: Get, GetByPath and Secrets Manager's PathExists
// keep it running, detached, for the callers that share it, and the same
// call joins it; other methods simply run again. So the call is over
// before the fake closes.
func holdRequests(f *awsfake.Server, p s1crets.Provider, op faultOp, remote string, arrived func()) (restore func()) {
	release := make(chan struct{})
	f.SetHook(func(r awsfake.Request) *awsfake.Fault {
		if remote == "" || r.Op == remote {
			if arrived != nil {
				arrived()
			}
			<-release
		}
		return nil
	})
	return func() {
		f.SetHook(nil)
		close(release)
		_ = op.call(ctx, p)
	}
}

// callGuarded runs op.call(cctx, p) and returns its error, failing the test
// if the call has not returned after a minute: a guard against a hang (the
// store holds the request), not a bound on how long the call may take.
func callGuarded(t *testing.T, cctx context.Context, p s1crets.Provider, op faultOp) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- op.call(cctx, p) }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatal("the call did not return when its context ended")
		return nil
	}
}

// A context deadline is honoured by every method: the call returns
// DeadlineExceeded while the store holds its request. The deadline passes
// when that request reaches the store, however long the call took to get
// there (an Update reads first), so the call surely made it.
func TestFaultContextDeadline(t *testing.T) {
	for _, s := range faultStores {
		for _, op := range s.ops {
			t.Run(s.name+"/"+op.name, func(t *testing.T) {
				t.Parallel()
				f, p := s.start(t, s1crets.Timeout(heldTimeout))
				if op.setup != nil {
					op.setup(f)
				}
				cctx := newArrivalDeadline()
				defer holdRequests(f, p, op, op.remote, cctx.pass)()
				err := callGuarded(t, cctx, p, op)
				require.Error(t, err)
				assert.ErrorIs(t, err, context.DeadlineExceeded)
				t.Log(err)
				var e *s1crets.Error
				assert.ErrorAs(t, err, &e)
				assert.GreaterOrEqual(t, f.Calls(op.remote), 1, "the held call was made")
			})
		}
	}
}

// arrivalDeadline is a context whose deadline passes when pass is called
// rather than at a time fixed in advance: a test can end a call at the
// moment its request reaches the fake.
type arrivalDeadline struct {
	context.Context // values only: Deadline, Done and Err are its own
	once            sync.Once
	done            chan struct{}
	mu              sync.Mutex
	at              time.Time
}

func newArrivalDeadline() *arrivalDeadline {
	return &arrivalDeadline{Context: context.Background(), done: make(chan struct{})}
}

func (c *arrivalDeadline) pass() {
	c.once.Do(func() {
		c.mu.Lock()
		c.at = time.Now()
		c.mu.Unlock()
		close(c.done)
	})
}

func (c *arrivalDeadline) Deadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at, !c.at.IsZero()
}

func (c *arrivalDeadline) Done() <-chan struct{} { return c.done }

func (c *arrivalDeadline) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// A context cancelled while the store holds the request: the call returns
// with context.Canceled (nothing else could end it).
func TestFaultCancelInFlight(t *testing.T) {
	for _, s := range faultStores {
		for _, op := range s.ops {
			t.Run(s.name+"/"+op.name, func(t *testing.T) {
				t.Parallel()
				f, p := s.start(t, s1crets.Timeout(heldTimeout))
				if op.setup != nil {
					op.setup(f)
				}
				cctx, cancel := context.WithCancel(ctx)
				defer cancel()
				defer holdRequests(f, p, op, op.remote, cancel)()
				err := callGuarded(t, cctx, p, op)
				assert.ErrorIs(t, err, context.Canceled)
				var e *s1crets.Error
				assert.ErrorAs(t, err, &e)
				assert.GreaterOrEqual(t, f.Calls(op.remote), 1, "the held call was made")
			})
		}
	}
}

// A context cancelled before the call: every method returns
// context.Canceled, even when the store would never answer.
func TestFaultCancelledBefore(t *testing.T) {
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	for _, s := range faultStores {
		for _, op := range s.ops {
			t.Run(s.name+"/"+op.name, func(t *testing.T) {
				t.Parallel()
				f, p := s.start(t, s1crets.Timeout(heldTimeout))
				if op.setup != nil {
					op.setup(f)
				}
				defer holdRequests(f, p, op, "", nil)()
				err := callGuarded(t, cctx, p, op)
				assert.ErrorIs(t, err, context.Canceled)
				var e *s1crets.Error
				assert.ErrorAs(t, err, &e)
			})
		}
	}
}

// A call whose context is already cancelled makes no remote call: no one
// would wait for its answer.
func TestFaultCancelledBeforeNoRemoteCall(t *testing.T) {
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	for _, s := range faultStores {
		for _, op := range s.ops {
			t.Run(s.name+"/"+op.name, func(t *testing.T) {
				f, p := s.start(t)
				if op.setup != nil {
					op.setup(f)
				}
				_ = op.call(cctx, p)
				time.Sleep(50 * time.Millisecond) // let a detached call, if any, arrive
				assert.Zero(t, f.TotalCalls(), "requests: %v", f.Requests())
			})
		}
	}
}

// ExpiredTokenException on any remote call of any method, with an assumed
// role: the credentials are renewed once (one more AssumeRole), the call is
// signed with the new ones and succeeds.
func TestFaultExpiredTokenRenews(t *testing.T) {
	for _, s := range faultStores {
		for _, op := range s.ops {
			t.Run(s.name+"/"+op.name, func(t *testing.T) {
				f, p := s.start(t, aws.WithAssumeRole(roleARN, ""))
				if op.setup != nil {
					op.setup(f)
				}
				_, err := p.Get(ctx, s.missing) // assumes the role
				require.ErrorIs(t, err, s1crets.ErrNotFound)
				require.Len(t, f.AssumeRoleCalls(), 1)
				before := f.Calls(op.remote)

				f.FailNext(op.remote, 1, awsfake.ExpiredToken)
				require.NoError(t, op.call(ctx, p))
				assert.Len(t, f.AssumeRoleCalls(), 2, "renewed exactly once")
				assert.Equal(t, before+2, f.Calls(op.remote), "the expired call and its repetition")

				var keys []string
				for _, r := range f.Requests() {
					if r.Op == op.remote {
						keys = append(keys, r.AccessKeyID)
					}
				}
				require.GreaterOrEqual(t, len(keys), 2)
				assert.NotEqual(t, keys[len(keys)-2], keys[len(keys)-1], "repeated with the renewed credentials")
				assert.Equal(t, f.AssumeRoleCalls()[1].AccessKeyID, keys[len(keys)-1])
			})
		}
	}
}

// ExpiredTokenException again after the renewal: no loop, a clean error.
func TestFaultExpiredTokenTwice(t *testing.T) {
	for _, s := range faultStores {
		t.Run(s.name, func(t *testing.T) {
			f, p := s.start(t, aws.WithAssumeRole(roleARN, ""))
			f.FailNext(s.getOp, 2, awsfake.ExpiredToken)
			_, err := p.Get(ctx, s.path)
			requireCleanAPIError(t, err, "ExpiredTokenException")
			assert.Len(t, f.AssumeRoleCalls(), 2, "one assumption, one renewal")
			assert.Equal(t, 2, f.Calls(s.getOp))
		})
	}
}

// ExpiredTokenException with the caller's own (here static) credentials:
// the credentials cache is invalidated and the call is made once more.
func TestFaultExpiredTokenStaticCredentials(t *testing.T) {
	for _, s := range faultStores {
		t.Run(s.name, func(t *testing.T) {
			f, p := s.start(t)
			f.FailNext(s.getOp, 1, awsfake.ExpiredToken)
			v, err := p.Get(ctx, s.path)
			require.NoError(t, err)
			assert.Equal(t, "v", v.Text())
			assert.Equal(t, 2, f.Calls(s.getOp))
			assert.Empty(t, f.AssumeRoleCalls())
		})
	}
}

// Access denied and KMS errors are final: not retried (exactly one request),
// a clear error that keeps the AWS code, never ErrNotFound.
func TestFaultDeniedNotRetried(t *testing.T) {
	faults := map[string]awsfake.Fault{
		"AccessDenied":      awsfake.AccessDenied,
		"KMSAccessDenied":   awsfake.KMSAccessDenied,
		"DecryptionFailure": awsfake.DecryptionFailure,
		"InvalidKeyID":      awsfake.InvalidKeyID,
	}
	for _, s := range faultStores {
		for _, op := range s.ops {
			for fname, fault := range faults {
				if fault.Code == "AccessDeniedException" && op.remote == "BatchGetSecretValue" {
					continue // a denied batch read falls back to one by one: TestFaultDeniedBatchFallsBack
				}
				t.Run(s.name+"/"+op.name+"/"+fname, func(t *testing.T) {
					f, p := s.start(t)
					if op.setup != nil {
						op.setup(f)
					}
					f.FailNext(op.remote, 1, fault)
					err := op.call(ctx, p)
					requireCleanAPIError(t, err, fault.Code)
					assert.Equal(t, 1, f.Calls(op.remote), "not retried")
					switch {
					case fault.Message == "":
					case strings.HasPrefix(op.name, "Update/"):
						// The store's message may quote the value: Update
						// names the code and withholds the message, which
						// the SDK's error still holds.
						assert.NotContains(t, err.Error(), fault.Message, "Update withholds the store's message")
						assert.Contains(t, err.Error(), "withheld")
						var ae smithy.APIError
						require.ErrorAs(t, err, &ae)
						assert.Equal(t, fault.Message, ae.ErrorMessage(), "errors.As reaches AWS's explanation")
					default:
						assert.Contains(t, err.Error(), fault.Message, "AWS's explanation is kept")
					}
				})
			}
		}
	}

	// The SDK's modeled types stay reachable.
	f, ps := faultStores[0].start(t)
	f.FailNext("GetParameter", 1, awsfake.InvalidKeyID)
	_, err := ps.Get(ctx, "/fault/p")
	var ik *ssmtypes.InvalidKeyId
	assert.ErrorAs(t, err, &ik)
	f, sm := faultStores[1].start(t)
	f.FailNext("GetSecretValue", 1, awsfake.DecryptionFailure)
	_, err = sm.Get(ctx, "fault/s")
	var df *smtypes.DecryptionFailure
	assert.ErrorAs(t, err, &df)

	// Deny (every request) on a Get through the cache: one request per
	// call, and the error is not cached as a value.
	f, ps = faultStores[0].start(t)
	f.Deny("GetParameter")
	for range 2 {
		_, err = ps.Get(ctx, "/fault/p")
		requireCleanAPIError(t, err, "AccessDeniedException")
	}
	assert.Equal(t, 2, f.Calls("GetParameter"))
	f.Allow("GetParameter")
	v, err := ps.Get(ctx, "/fault/p")
	require.NoError(t, err)
	assert.Equal(t, "v", v.Text())
}

// Secrets Manager's GetByPath, denied BatchGetSecretValue, reads the secrets
// one by one as the original does; denied that too, it fails cleanly.
func TestFaultDeniedBatchFallsBack(t *testing.T) {
	f, p := faultStores[1].start(t)
	f.FailNext("BatchGetSecretValue", 1, awsfake.AccessDenied)
	m, err := p.GetByPath(ctx, "fault/")
	require.NoError(t, err)
	assert.Len(t, m, 2)
	assert.Equal(t, 1, f.Calls("BatchGetSecretValue"))
	assert.Equal(t, 1, f.Calls("ListSecrets"))
	assert.Equal(t, 2, f.Calls("GetSecretValue"))

	f.Deny("BatchGetSecretValue")
	f.Deny("ListSecrets")
	_, err = p.GetByPath(ctx, "fault/", s1crets.NoCache())
	requireCleanAPIError(t, err, "AccessDeniedException")
	assert.Equal(t, 1, f.Calls("ListSecrets")-1, "not retried")
}

// A fault in the middle of a Secrets Manager reference walk stops the walk
// with that error: it is not taken for "this prefix does not exist".
func TestFaultReferenceWalkStops(t *testing.T) {
	for _, fault := range []awsfake.Fault{awsfake.AccessDenied, awsfake.KMSAccessDenied, awsfake.Throttling} {
		t.Run(fault.Code+"/"+fault.Message, func(t *testing.T) {
			f, p := faultStores[0].start(t, s1crets.Retry(1))
			var n atomic.Int32
			f.SetHook(func(r awsfake.Request) *awsfake.Fault {
				if r.Op == "GetParameter" && n.Add(1) == 2 {
					return &fault
				}
				return nil
			})
			// .../fault/json/user/x is not found, .../fault/json/user fails.
			_, err := p.Get(ctx, aws.ReferencePrefix+"fault/json/user/x")
			requireCleanAPIError(t, err, fault.Code)
			assert.Equal(t, 2, f.Calls("GetParameter"), "the walk stops at the fault")
		})
	}
}

// emptyAnswers serves "{}" with status 200 to every request: an answer
// without the data asked for, as a broken proxy or an emulator may give.
func emptyAnswers(t *testing.T) awssdk.Config {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fmt.Fprint(w, "{}")
	}))
	t.Cleanup(srv.Close)
	cfg := newFake(t).Config(ctx)
	cfg.BaseEndpoint = awssdk.String(srv.URL)
	return cfg
}

// An empty answer to GetParameter is an error, not a crash.
func TestFaultEmptyAnswerPS(t *testing.T) {
	p, err := aws.NewParameterStore(ctx, aws.WithConfig(emptyAnswers(t)))
	require.NoError(t, err)
	closeAtEnd(t, p)
	for _, path := range []string{"/empty/p", aws.ReferencePrefix + "empty/s/k"} {
		_, err = p.Get(ctx, path)
		require.Error(t, err, path)
		var e *s1crets.Error
		assert.ErrorAs(t, err, &e)
		assert.NotErrorIs(t, err, s1crets.ErrNotFound)
	}
}

// An empty answer to GetSecretValue (neither SecretString nor
// SecretBinary) is an error, not an empty secret.
func TestFaultEmptyAnswerSM(t *testing.T) {
	p, err := aws.NewSecretsManager(ctx, aws.WithConfig(emptyAnswers(t)))
	require.NoError(t, err)
	closeAtEnd(t, p)
	v, err := p.Get(ctx, "empty/s")
	require.Error(t, err, "got a secret of %d bytes", len(v.Text()))
	var e *s1crets.Error
	assert.ErrorAs(t, err, &e)
	assert.NotErrorIs(t, err, s1crets.ErrNotFound)
}
