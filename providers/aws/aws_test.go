package aws_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/drivertest"
	"github.com/s1crets/s1crets/internal/awsfake"
	"github.com/s1crets/s1crets/providers/aws"
)

var ctx = context.Background()

func TestMain(m *testing.M) {
	cleanup, err := awsfake.IsolateEnv() // never reach real AWS
	if err != nil {
		panic(err)
	}
	code := m.Run()
	cleanup()
	os.Exit(code)
}

func newFake(t *testing.T) *awsfake.Server {
	t.Helper()
	f := awsfake.New()
	t.Cleanup(f.Close)
	return f
}

func newPS(t *testing.T, f *awsfake.Server, opts ...aws.Option) *aws.ParameterStore {
	t.Helper()
	p, err := aws.NewParameterStore(ctx, append([]aws.Option{aws.WithConfig(f.Config(ctx))}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, p.Close()) })
	return p
}

func newSM(t *testing.T, f *awsfake.Server, opts ...aws.Option) *aws.SecretsManager {
	t.Helper()
	p, err := aws.NewSecretsManager(ctx, append([]aws.Option{aws.WithConfig(f.Config(ctx))}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, p.Close()) })
	return p
}

// closeAtEnd closes p when the test ends.
func closeAtEnd(t *testing.T, p interface{ Close() error }) {
	t.Helper()
	t.Cleanup(func() { assert.NoError(t, p.Close()) })
}

func TestConformanceParameterStore(t *testing.T) {
	drivertest.RunConformanceTests(t, drivertest.Harness{
		Hierarchical: true,
		New: func(t *testing.T, seed map[string]string) (s1crets.Provider, func() int) {
			f := newFake(t)
			for k, v := range seed {
				f.PutParameter(awsfake.Parameter{Name: k, Value: v, Type: "SecureString"})
			}
			return newPS(t, f), f.TotalCalls
		},
	})
}

func TestConformanceSecretsManager(t *testing.T) {
	drivertest.RunConformanceTests(t, drivertest.Harness{
		New: func(t *testing.T, seed map[string]string) (s1crets.Provider, func() int) {
			f := newFake(t)
			for k, v := range seed {
				f.PutSecretString(k, v)
			}
			return newSM(t, f), f.TotalCalls
		},
	})
}

func seedSecrets(f *awsfake.Server, n int) {
	for i := range n {
		f.PutSecretString(fmt.Sprintf("prod/s%03d", i), fmt.Sprintf(`{"i":%d}`, i))
	}
	f.PutSecretString("prodx", "also matches the name prefix")
	f.PutSecretString("staging/s", "no")
}

func TestSMGetByPathFailOnError(t *testing.T) {
	f := newFake(t)
	seedSecrets(f, 3)
	f.Deny("GetSecretValue") // batch reads report each secret in Errors
	p := newSM(t, f)
	_, err := p.GetByPath(ctx, "prod/")
	require.Error(t, err)
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "AccessDeniedException", ae.ErrorCode())
	m, err := p.GetByPath(ctx, "prod/", s1crets.FailOnError(false))
	require.NoError(t, err)
	assert.Empty(t, m, "FailOnError(false) skips the secrets that fail")

	f.Deny("BatchGetSecretValue")
	m, err = p.GetByPath(ctx, "prod/", s1crets.FailOnError(false), s1crets.NoCache())
	require.NoError(t, err)
	assert.Empty(t, m, "the same in the one-by-one fallback")
	_, err = p.GetByPath(ctx, "prod/", s1crets.NoCache())
	assert.Error(t, err)
}

func TestSimpleAPIByName(t *testing.T) {
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/simple/p", Value: "ps-value", Type: "String"})
	f.PutSecretString("simple/s", `{"k":"sm-value"}`)
	t.Setenv("AWS_ENDPOINT_URL", f.URL())
	assert.Contains(t, s1crets.Providers(), "aws.ps")
	assert.Contains(t, s1crets.Providers(), "aws.sm")
	// A Timeout of its own keeps this instance apart from other tests'
	// (and other runs') memoized ones.
	inst := s1crets.Timeout(5*time.Second + time.Duration(time.Now().UnixNano()%1000))
	v, err := s1crets.Get(ctx, "aws.ps", "/simple/p", inst)
	require.NoError(t, err)
	assert.Equal(t, "ps-value", v.Text())
	v, err = s1crets.Get(ctx, "aws.sm", "simple/s", inst, s1crets.KeyPath("k"))
	require.NoError(t, err)
	assert.Equal(t, "sm-value", v.Text())
	ok, err := s1crets.PathExists(ctx, "aws.ps", "/simple", inst)
	require.NoError(t, err)
	assert.True(t, ok)
	require.NoError(t, s1crets.Update(ctx, "aws.sm", "simple/s", `{"k":"v2"}`, inst))
	m, err := s1crets.GetByPath(ctx, "aws.sm", "simple/", inst)
	require.NoError(t, err)
	assert.Equal(t, `{"k":"v2"}`, m["simple/s"].Text())
	p1, _ := s1crets.Open(ctx, "aws.ps", inst)
	p2, _ := s1crets.Open(ctx, "aws.ps", inst)
	assert.Same(t, p1, p2)
	require.NotNil(t, p1)
	assert.Equal(t, "aws.ps", p1.Name(), "Open of aws.ps gives a Parameter Store")
}

// The SDK's per-service endpoint variables work as usual.
func TestServiceEndpointEnv(t *testing.T) {
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/env/p", Value: "v", Type: "String"})
	t.Setenv("AWS_ENDPOINT_URL_SSM", f.URL())
	p, err := aws.NewParameterStore(ctx)
	require.NoError(t, err)
	closeAtEnd(t, p)
	v, err := p.Get(ctx, "/env/p")
	require.NoError(t, err)
	assert.Equal(t, "v", v.Text())
}

func TestRegionFromIMDS(t *testing.T) {
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			w.Header().Set("X-Aws-Ec2-Metadata-Token-Ttl-Seconds", "21600")
			fmt.Fprint(w, "token")
		case r.URL.Path == "/latest/dynamic/instance-identity/document":
			fmt.Fprint(w, `{"region":"eu-west-3","instanceId":"i-1","accountId":"123456789012"}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer imds.Close()
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/r", Value: "v", Type: "String"})
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
	t.Setenv("AWS_ENDPOINT_URL", f.URL())
	p, err := aws.NewParameterStore(ctx)
	require.NoError(t, err)
	closeAtEnd(t, p)
	_, err = p.Get(ctx, "/r")
	require.NoError(t, err)
	// The request was signed for the region that the metadata gave.
	reqs := f.Requests()
	require.NotEmpty(t, reqs)
	assert.Equal(t, "eu-west-3", reqs[len(reqs)-1].Region)
}

func TestNoRegionFailsFast(t *testing.T) {
	// An instance metadata endpoint that accepts connections and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	var conns sync.WaitGroup
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Go(func() { <-stop; c.Close() })
		}
	}()
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://"+ln.Addr().String())
	start := time.Now()
	_, err = aws.NewSecretsManager(ctx)
	elapsed := time.Since(start)
	require.Error(t, err)
	// The question to the metadata service is bounded (1.2s); without that
	// bound this mute endpoint would hold it forever. Generous: a guard
	// against that hang, not a measure of the machine's speed.
	assert.Less(t, elapsed, time.Minute, "off EC2 with no region: an error, not a hang")
	assert.Contains(t, err.Error(), "no AWS region")
	assert.Contains(t, err.Error(), "AWS_REGION")
	assert.True(t, strings.HasPrefix(err.Error(), "s1crets: "))

	p, err := aws.NewSecretsManager(ctx, aws.WithRegion("eu-central-1"))
	require.NoError(t, err, "an explicit region needs no metadata")
	require.NotNil(t, p)
	closeAtEnd(t, p)
}

const roleARN = "arn:aws:iam::123456789012:role/reader"

func TestAssumeRole(t *testing.T) {
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/ar/p", Value: "v", Type: "String"})
	f.PutSecretString("ar/s", "v")
	ext := func(o *stscreds.AssumeRoleOptions) { o.ExternalID = awssdk.String("ext-1") }
	ps := newPS(t, f, aws.WithAssumeRole(roleARN, "", ext))
	sm := newSM(t, f, aws.WithAssumeRole(roleARN, "my-session"))
	_, err := ps.Get(ctx, "/ar/p")
	require.NoError(t, err)
	_, err = sm.Get(ctx, "ar/s")
	require.NoError(t, err)

	calls := f.AssumeRoleCalls()
	require.Len(t, calls, 2)
	assert.Equal(t, roleARN, calls[0].RoleArn)
	sessions := []string{calls[0].RoleSessionName, calls[1].RoleSessionName}
	assert.ElementsMatch(t, []string{"s1crets", "my-session"}, sessions, "session name defaults to s1crets")
	for _, c := range calls {
		assert.Equal(t, 3600, c.DurationSeconds, "1 hour by default")
		assert.Equal(t, awsfake.AccessKeyID, c.CallerAccessKeyID, "assumed with the base credentials")
	}
	exts := []string{calls[0].ExternalId, calls[1].ExternalId}
	assert.Contains(t, exts, "ext-1")

	issued := map[string]bool{calls[0].AccessKeyID: true, calls[1].AccessKeyID: true}
	for _, r := range f.Requests() {
		if r.Service == "ssm" || r.Service == "secretsmanager" {
			assert.True(t, issued[r.AccessKeyID], "%s signed with the assumed credentials, not %s", r.Op, r.AccessKeyID)
			assert.NotEmpty(t, r.SessionToken)
		}
	}
}

func TestAssumeRoleRenews(t *testing.T) {
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/ar/p", Value: "v", Type: "String"})
	f.SetCredentialLifetime(time.Millisecond) // credentials expire at once
	ps := newPS(t, f, aws.WithAssumeRole(roleARN, ""))
	for range 3 {
		_, err := ps.Get(ctx, "/ar/p", s1crets.NoCache())
		require.NoError(t, err)
		time.Sleep(2 * time.Millisecond)
	}
	calls := f.AssumeRoleCalls()
	assert.GreaterOrEqual(t, len(calls), 3, "expired credentials are renewed before the next call")
	var keys []string
	for _, r := range f.Requests() {
		if r.Op == "GetParameter" {
			keys = append(keys, r.AccessKeyID)
		}
	}
	require.Len(t, keys, 3)
	assert.NotEqual(t, keys[0], keys[2], "later calls are signed with renewed credentials")
}

func TestExpiredTokenRenewsOnce(t *testing.T) {
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/ar/p", Value: "v", Type: "String"})
	ps := newPS(t, f, aws.WithAssumeRole(roleARN, ""))
	f.FailNext("GetParameter", 1, awsfake.ExpiredToken)
	v, err := ps.Get(ctx, "/ar/p")
	require.NoError(t, err)
	assert.Equal(t, "v", v.Text())
	assert.Len(t, f.AssumeRoleCalls(), 2, "the role is assumed again after ExpiredTokenException")
}

func TestRetryAttempts(t *testing.T) {
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/r/p", Value: "v", Type: "String"})
	p := newPS(t, f) // 3 attempts by default
	f.FailNext("GetParameter", 2, awsfake.Throttling)
	_, err := p.Get(ctx, "/r/p")
	require.NoError(t, err, "2 throttles < 3 attempts")
	assert.Equal(t, 3, f.Calls("GetParameter"))

	f.ResetCalls()
	f.FailNext("GetParameter", 3, awsfake.Throttling)
	_, err = p.Get(ctx, "/r/p", s1crets.NoCache())
	require.Error(t, err)
	assert.Equal(t, 3, f.Calls("GetParameter"))
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "ThrottlingException", ae.ErrorCode())

	p5 := newPS(t, f, s1crets.Retry(5))
	f.ResetCalls()
	f.FailNext("GetParameter", 4, awsfake.Throttling)
	_, err = p5.Get(ctx, "/r/p")
	require.NoError(t, err)
	assert.Equal(t, 5, f.Calls("GetParameter"), "WithRetry is the total number of attempts")
}

func TestTimeout(t *testing.T) {
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/t/p", Value: "v", Type: "String"})
	p := newPS(t, f, s1crets.Timeout(100*time.Millisecond), s1crets.Retry(2))
	// Both answers come after 30s: an error (rather than the value) and two
	// requests show that each attempt gave up after its timeout.
	f.FailNext("GetParameter", 2, awsfake.Fault{Delay: 30 * time.Second})
	start := time.Now()
	_, err := p.Get(ctx, "/t/p")
	require.Error(t, err, "attempts x timeout, not the slow answer")
	assert.GreaterOrEqual(t, time.Since(start), 2*100*time.Millisecond)
	assert.Equal(t, 2, f.Calls("GetParameter"))
}

func TestBadOptions(t *testing.T) {
	for _, o := range []aws.Option{{}, s1crets.Retry(0), s1crets.Timeout(0), aws.WithRegion(""), aws.WithAssumeRole("", ""),
		s1crets.Cache(s1crets.CacheConfig{Size: -1})} {
		_, err := aws.NewParameterStore(ctx, o)
		require.Error(t, err)
		assert.ErrorIs(t, err, s1crets.ErrInvalid)
	}
}

func TestErrorsNameOperationAndPath(t *testing.T) {
	f := newFake(t)
	p := newSM(t, f)
	_, err := p.Get(ctx, "missing/secret")
	var e *s1crets.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "aws.sm", e.Provider)
	assert.Equal(t, "get", e.Op)
	assert.Equal(t, "missing/secret", e.Path)
	assert.Regexp(t, `^s1crets: get aws.sm "missing/secret": not found: `, err.Error())
	assert.False(t, errors.Is(err, s1crets.ErrInvalid))
}
