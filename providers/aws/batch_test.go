package aws_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/awsfake"
	"github.com/s1crets/s1crets/providers/aws"
)

func TestGetManyParameterStore(t *testing.T) {
	f := newFake(t)
	var names []string
	for i := range 25 {
		n := fmt.Sprintf("/many/p%02d", i)
		f.PutParameter(awsfake.Parameter{Name: n, Value: fmt.Sprint(i), Type: "SecureString"})
		names = append(names, n)
	}
	p := newPS(t, f)
	_, err := p.Get(ctx, names[0])
	require.NoError(t, err)
	f.ResetCalls()
	res, err := p.GetMany(ctx, append(names, "/many/missing"))
	require.NoError(t, err)
	assert.Len(t, res.Values, 25)
	assert.Equal(t, "24", res.Values["/many/p24"].Text())
	assert.Equal(t, []string{"/many/missing"}, res.Missing)
	assert.Equal(t, 3, f.Calls("GetParameters"), "25 names, one cached: 25 to fetch, ceil(25/10) = 3 calls")
	assert.Equal(t, 3, f.TotalCalls())

	res, err = p.GetMany(ctx, names)
	require.NoError(t, err)
	assert.NoError(t, res.Err())
	assert.Equal(t, 3, f.TotalCalls(), "a warm cache: 0 calls")
}

// GetMany with version selectors and ARNs (Parameter Store, GetParameters):
// each name is answered as asked; an older version read by selector never
// stands in for the current one; a parameter read by ARN is found, and an
// Update by name reaches it.
func TestGetManyParameterStoreSelectors(t *testing.T) {
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/a", Value: "one", Type: "SecureString"})
	f.PutParameter(awsfake.Parameter{Name: "/a", Value: "two", Type: "SecureString"})
	f.PutParameter(awsfake.Parameter{Name: "/b", Value: "b1", Type: "String"})
	require.True(t, f.LabelParameterVersion("/a", 1, "old"))
	pa, _ := f.Parameter("/a")
	pb, _ := f.Parameter("/b")
	require.True(t, strings.HasPrefix(pa.ARN, "arn:aws:ssm:"), pa.ARN)
	p := newPS(t, f)

	// A version selector reads that version, and does not poison the
	// current one.
	res, err := p.GetMany(ctx, []string{"/a:1"})
	require.NoError(t, err)
	require.NoError(t, res.Err())
	assert.Equal(t, "one", res.Values["/a:1"].Text())
	v, err := p.Get(ctx, "/a")
	require.NoError(t, err)
	assert.Equal(t, "two", v.Text(), "Get after GetMany of /a:1 returns the current version")
	res, err = p.GetMany(ctx, []string{"/a", "/a:1"})
	require.NoError(t, err)
	assert.Equal(t, "two", res.Values["/a"].Text())
	assert.Equal(t, "one", res.Values["/a:1"].Text())

	// Labels, ARNs (with and without a selector) and a missing version, in
	// one call.
	f.ResetCalls()
	res, err = p.GetMany(ctx, []string{"/a:old", pb.ARN, pa.ARN + ":1", "/a:9", "/b"})
	require.NoError(t, err)
	assert.Equal(t, "one", res.Values["/a:old"].Text())
	assert.Equal(t, "b1", res.Values[pb.ARN].Text(), "GetMany by ARN finds the parameter")
	assert.Equal(t, "one", res.Values[pa.ARN+":1"].Text())
	assert.Equal(t, "b1", res.Values["/b"].Text())
	assert.Equal(t, []string{"/a:9"}, res.Missing)
	assert.Empty(t, res.Failed)
	assert.Equal(t, 3, f.Calls("GetParameters"), "a parameter once a call: /a three times, /b with the first")

	// Read by ARN, updated by name: the next read by ARN (Get or GetMany)
	// returns the new value.
	v, err = p.Get(ctx, pa.ARN)
	require.NoError(t, err)
	assert.Equal(t, "two", v.Text())
	res, err = p.GetMany(ctx, []string{pa.ARN})
	require.NoError(t, err)
	assert.Equal(t, "two", res.Values[pa.ARN].Text())
	require.NoError(t, p.Update(ctx, "/a", "three"))
	v, err = p.Get(ctx, pa.ARN)
	require.NoError(t, err)
	assert.Equal(t, "three", v.Text(), "Update by name reaches the value cached by ARN")
	res, err = p.GetMany(ctx, []string{pa.ARN, "/a", "/a:1"})
	require.NoError(t, err)
	assert.Equal(t, "three", res.Values[pa.ARN].Text())
	assert.Equal(t, "three", res.Values["/a"].Text())
	assert.Equal(t, "one", res.Values["/a:1"].Text(), "an old version stays what it was")
}

func TestGetManySecretsManager(t *testing.T) {
	f := newFake(t)
	var names []string
	for i := range 45 {
		n := fmt.Sprintf("many/s%02d", i)
		f.PutSecretString(n, fmt.Sprintf(`{"i":%d}`, i))
		names = append(names, n)
	}
	p := newSM(t, f)
	res, err := p.GetMany(ctx, append(names, "many/missing"), s1crets.KeyPath("i"))
	require.NoError(t, err)
	assert.Len(t, res.Values, 45)
	assert.Equal(t, "44", res.Values["many/s44"].Text())
	assert.Equal(t, []string{"many/missing"}, res.Missing)
	assert.Equal(t, 3, f.Calls("BatchGetSecretValue"), "46 names: ceil(46/20) = 3 calls")
	assert.Zero(t, f.Calls("GetSecretValue"))

	f.ResetCalls()
	f.Deny("BatchGetSecretValue")
	res, err = p.GetMany(ctx, []string{"many/s01", "many/x"}, s1crets.NoCache())
	require.NoError(t, err)
	assert.Equal(t, `{"i":1}`, res.Values["many/s01"].Text())
	assert.Equal(t, []string{"many/x"}, res.Missing)
	assert.Equal(t, 2, f.Calls("GetSecretValue"), "one by one when the batch call is denied")

	// By name through the registry.
	t.Setenv("AWS_ENDPOINT_URL", f.URL())
	f.Allow("BatchGetSecretValue")
	res, err = s1crets.GetMany(ctx, "aws.sm", []string{"many/s02"}, s1crets.Timeout(5*time.Second+7))
	require.NoError(t, err)
	assert.Equal(t, `{"i":2}`, res.Values["many/s02"].Text())
}

func TestCallCounts(t *testing.T) {
	f := newFake(t)
	for i := range 95 {
		f.PutParameter(awsfake.Parameter{Name: fmt.Sprintf("/cc/p%02d", i), Value: "v", Type: "String"})
	}
	for i := range 100 {
		f.PutSecretString(fmt.Sprintf("cc/s%03d", i), "v")
	}
	ps, sm := newPS(t, f), newSM(t, f)

	_, err := ps.GetByPath(ctx, "/cc")
	require.NoError(t, err)
	assert.Equal(t, 10, f.Calls("GetParametersByPath"), "PS GetByPath of 95: ceil(95/10)")

	_, err = sm.GetByPath(ctx, "cc/")
	require.NoError(t, err)
	assert.Equal(t, 5, f.Calls("BatchGetSecretValue"), "SM GetByPath of 100: ceil(100/20)")
	assert.Equal(t, 15, f.TotalCalls())

	// 1,000 concurrent cold Gets: 1 call.
	f.PutParameter(awsfake.Parameter{Name: "/cc/cold", Value: "v", Type: "String"})
	var wg sync.WaitGroup
	for range 1000 {
		wg.Go(func() { _, _ = ps.Get(ctx, "/cc/cold") })
	}
	wg.Wait()
	assert.Equal(t, 1, f.Calls("GetParameter"))
	// A warm cache: 0 calls.
	before := f.TotalCalls()
	for range 100 {
		_, _ = ps.Get(ctx, "/cc/cold")
		_, _ = ps.GetByPath(ctx, "/cc")
		_, _ = sm.Get(ctx, "cc/s001")
	}
	assert.Equal(t, before, f.TotalCalls())
}

func TestStaleIfErrorOnThrottling(t *testing.T) {
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/st/p", Value: "v1", Type: "String"})
	// No failure backoff: each read below asks AWS (TestBackoffDuringOutage
	// covers the backoff).
	p := newPS(t, f, s1crets.Cache(s1crets.CacheConfig{TTL: 50 * time.Millisecond, MaxStale: time.Hour, FailureBackoff: -1}))
	_, err := p.Get(ctx, "/st/p")
	require.NoError(t, err)
	time.Sleep(80 * time.Millisecond) // expire the entry (real clock: an AWS provider)
	f.FailNext("GetParameter", 3, awsfake.Throttling)
	v, err := p.Get(ctx, "/st/p")
	require.NoError(t, err)
	assert.True(t, v.Stale())
	assert.Equal(t, "v1", v.Text())

	f.FailNext("GetParameter", 1, awsfake.AccessDenied)
	_, err = p.Get(ctx, "/st/p")
	require.Error(t, err, "never stale on access denied")
	f.FailNext("GetParameter", 3, awsfake.InternalError)
	v, err = p.Get(ctx, "/st/p")
	require.NoError(t, err)
	assert.True(t, v.Stale(), "5xx is transient")
	v, err = p.Get(ctx, "/st/p")
	require.NoError(t, err)
	assert.False(t, v.Stale(), "once AWS answers again, a fresh value")
}

func TestValidationBeforeRemoteCall(t *testing.T) {
	f := newFake(t)
	ps, sm := newPS(t, f), newSM(t, f)
	long := "/" + strings.Repeat("a", 1011)
	deep := strings.Repeat("/l", 16)
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"ps space", func() error { _, err := ps.Get(ctx, "/a b"); return err }, "letters, digits"},
		{"ps long", func() error { _, err := ps.Get(ctx, long); return err }, "at most 1011"},
		{"ps levels", func() error { _, err := ps.Get(ctx, deep); return err }, "at most 15 levels"},
		{"ps relative path", func() error { _, err := ps.GetByPath(ctx, "app/x"); return err }, `begin with "/"`},
		{"ps slash not first", func() error { _, err := ps.Get(ctx, "a/b"); return err }, `begin with "/"`},
		{"ps reserved update", func() error { return ps.Update(ctx, "/aws/x", "v") }, "reserved"},
		{"ps reference update", func() error { return ps.Update(ctx, aws.ReferencePrefix+"x", "v") }, "read-only"},
		{"ps reference bare", func() error { _, err := ps.Get(ctx, aws.ReferencePrefix); return err }, "must follow"},
		{"ps exists chars", func() error { _, err := ps.PathExists(ctx, "/a*"); return err }, "letters, digits"},
		{"sm chars", func() error { _, err := sm.Get(ctx, "a b"); return err }, "letters, digits"},
		{"sm long", func() error { _, err := sm.Get(ctx, strings.Repeat("s", 513)); return err }, "at most 512"},
		{"many", func() error { _, err := ps.GetMany(ctx, []string{"/ok", "/not ok"}); return err }, "letters, digits"},
	}
	for _, c := range cases {
		err := c.call()
		require.Error(t, err, c.name)
		assert.ErrorIs(t, err, s1crets.ErrInvalid, c.name)
		assert.Contains(t, err.Error(), c.want, c.name)
	}
	assert.Zero(t, f.TotalCalls(), "bad input makes no remote call")

	// Valid forms pass: a version selector, public AWS parameters, an ARN.
	f.PutParameter(awsfake.Parameter{Name: "/ok/v", Value: "1", Type: "String"})
	for _, path := range []string{"/ok/v", "/aws/service/global-infrastructure/version", "arn:aws:ssm:us-east-1:123456789012:parameter/ok/v"} {
		_, err := ps.Get(ctx, path)
		assert.NotErrorIs(t, err, s1crets.ErrInvalid, path)
	}
	_, err := ps.Get(ctx, "/ok/v:1")
	assert.NotErrorIs(t, err, s1crets.ErrInvalid)
}

// An option that does not apply to a store, or to an operation, is refused
// with ErrInvalid before any remote call, and the message says what
// applies; the options that apply pass.
func TestOptionsThatDoNotApply(t *testing.T) {
	f := newFake(t)
	ps, sm := newPS(t, f), newSM(t, f)
	get := func(p s1crets.Provider, path string, o ...s1crets.Option) func() error {
		return func() error { _, err := p.Get(ctx, path, o...); return err }
	}
	byPath := func(p s1crets.Provider, path string, o ...s1crets.Option) func() error {
		return func() error { _, err := p.GetByPath(ctx, path, o...); return err }
	}
	exists := func(p s1crets.Provider, path string, o ...s1crets.Option) func() error {
		return func() error { _, err := p.PathExists(ctx, path, o...); return err }
	}
	cases := []struct {
		name string
		call func() error
		want string
	}{
		{"ps VersionStage", get(ps, "/o/p", s1crets.VersionStage("AWSPREVIOUS")), "NAME:VERSION"},
		{"ps VersionID", get(ps, "/o/p", s1crets.VersionID("x")), "NAME:VERSION"},
		{"ps FailOnError get", get(ps, "/o/p", s1crets.FailOnError(false)), "FailOnError does not apply to Parameter Store"},
		{"ps FailOnError get-by-path", byPath(ps, "/o", s1crets.FailOnError(false)), "FailOnError does not apply to Parameter Store"},
		{"ps Recursive get", get(ps, "/o/p", s1crets.Recursive(false)), "Recursive applies only to GetByPath"},
		{"ps Recursive exists", exists(ps, "/o", s1crets.Recursive(false)), "Recursive applies only to GetByPath"},
		{"ps many VersionStage", func() error {
			_, err := ps.GetMany(ctx, []string{"/o/p"}, s1crets.VersionStage("AWSCURRENT"))
			return err
		}, "NAME:VERSION"},
		{"sm Decrypt", get(sm, "o/s", s1crets.Decrypt(false)), "Decrypt does not apply to Secrets Manager"},
		{"sm Recursive", byPath(sm, "o/", s1crets.Recursive(false)), "Recursive does not apply to Secrets Manager"},
		{"sm VersionStage get-by-path", byPath(sm, "o/", s1crets.VersionStage("AWSPREVIOUS")), "AWSCURRENT version of each secret"},
		{"sm VersionID get-by-path", byPath(sm, "o/", s1crets.VersionID("x")), "AWSCURRENT version of each secret"},
		{"sm FailOnError get", get(sm, "o/s", s1crets.FailOnError(false)), "FailOnError applies only to GetByPath"},
		{"sm FailOnError update", func() error { return sm.Update(ctx, "o/s", "v", s1crets.FailOnError(false)) }, "does not apply to Update"},
	}
	for _, c := range cases {
		err := c.call()
		require.Error(t, err, c.name)
		assert.ErrorIs(t, err, s1crets.ErrInvalid, c.name)
		assert.Contains(t, err.Error(), c.want, c.name)
		assert.True(t, strings.HasPrefix(err.Error(), "s1crets: "), err.Error())
	}
	assert.Zero(t, f.TotalCalls(), "refused before any remote call: %v", f.Requests())

	// What applies passes.
	f.PutParameter(awsfake.Parameter{Name: "/o/p", Value: "v", Type: "SecureString"})
	f.PutSecretString("o/s", "v")
	require.NoError(t, sm.Update(ctx, "o/s", "v2"))
	for name, call := range map[string]func() error{
		"ps Decrypt":                 get(ps, "/o/p", s1crets.Decrypt(false)),
		"ps Recursive get-by-path":   byPath(ps, "/o", s1crets.Recursive(false)),
		"sm VersionStage":            get(sm, "o/s", s1crets.VersionStage("AWSPREVIOUS")),
		"sm FailOnError get-by-path": byPath(sm, "o/", s1crets.FailOnError(false)),
	} {
		assert.NoError(t, call(), name)
	}
}

// Secrets Manager names may hold "!" (the secrets that RDS manages are
// named rds!db-...); an ARN is checked for its characters too.
func TestSMNames(t *testing.T) {
	f := newFake(t)
	f.PutSecretString("rds!db-0123abcd", `{"username":"admin","password":"pw"}`)
	sm := newSM(t, f)
	v, err := sm.Get(ctx, "rds!db-0123abcd", s1crets.KeyPath("password"))
	require.NoError(t, err)
	assert.Equal(t, "pw", v.Text())
	s, ok := f.Secret("rds!db-0123abcd")
	require.True(t, ok)
	v, err = sm.Get(ctx, s.ARN, s1crets.KeyPath("username"), s1crets.NoCache())
	require.NoError(t, err, s.ARN)
	assert.Equal(t, "admin", v.Text())

	calls := f.TotalCalls()
	for _, bad := range []string{"arn:aws:secretsmanager:us-east-1:123456789012:secret:a b", "arn:aws:secretsmanager:us-east-1:123456789012:secret:a#b"} {
		_, err = sm.Get(ctx, bad)
		assert.ErrorIs(t, err, s1crets.ErrInvalid, bad)
		assert.Contains(t, err.Error(), "ARN may contain only", bad)
	}
	assert.Equal(t, calls, f.TotalCalls(), "refused before any remote call")
}

func TestPSPathExistsReference(t *testing.T) {
	f := newFake(t)
	f.PutSecretString("ref/db", `{"user":"admin"}`)
	p := newPS(t, f)
	for path, want := range map[string]bool{
		aws.ReferencePrefix + "ref/db":      true,
		aws.ReferencePrefix + "ref/db/user": true,
		aws.ReferencePrefix + "ref/db/nope": false,
		aws.ReferencePrefix + "ref/nope":    false,
	} {
		got, err := p.PathExists(ctx, path)
		require.NoError(t, err, path)
		assert.Equal(t, want, got, path)
	}
}
