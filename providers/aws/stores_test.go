package aws_test

// The AWS behaviours of DESIGN.md section 4, written once and run against
// two backends: the in-process fake (TestStores, hermetic) and moto's
// server (TestIntegrationStores, by scripts/integration.sh). Where moto
// differs from AWS, a scenario says so ("moto quirk") and checks what both
// can show.

import (
	"fmt"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/awsfake"
	"github.com/s1crets/s1crets/providers/aws"
)

// calls counts the remote calls of one provider, by operation, and denies
// operations as IAM would.
type calls interface {
	Calls(op string) int
	Total() int
	Reset()
	Deny(op string)
}

// backend is a store that the scenarios run against, seen from a test: it
// seeds and inspects the store without counting, and builds providers.
type backend interface {
	isMoto() bool
	putParam(t *testing.T, p awsfake.Parameter)
	putSecret(t *testing.T, name, value string) (versionID string)
	putBinary(t *testing.T, name string, value []byte)
	param(t *testing.T, name string) awsfake.Parameter // current value and metadata
	secret(t *testing.T, name string) (str *string, bin []byte)
	secretARN(t *testing.T, name string) string
	ciphertext(name, value string) string // a SecureString read without decryption
	ps(t *testing.T, opts ...aws.Option) (*aws.ParameterStore, calls)
	sm(t *testing.T, opts ...aws.Option) (*aws.SecretsManager, calls)
}

// storeScenarios are the behaviours, each run on a backend of its own.
var storeScenarios = map[string]func(t *testing.T, b backend){
	"PSDecrypt":            scenarioPSDecrypt,
	"PSReferenceWalk":      scenarioPSReferenceWalk,
	"PSGetByPath":          scenarioPSGetByPath,
	"PSPathExistsBoundary": scenarioPSPathExistsBoundary,
	"PSUpdateKeepsMeta":    scenarioPSUpdateKeepsMetadata,
	"SMGet":                scenarioSMGet,
	"Meta":                 scenarioMeta,
	"SMVersions":           scenarioSMVersions,
	"SMUpdateKeepsKind":    scenarioSMUpdateKeepsKind,
	"SMGetByPathBatch":     scenarioSMGetByPathBatch,
	"SMGetByPathFallback":  scenarioSMGetByPathFallback,
}

func runStoreScenarios(t *testing.T, newBackend func(t *testing.T) backend) {
	for name, scenario := range storeScenarios {
		t.Run(name, func(t *testing.T) { scenario(t, newBackend(t)) })
	}
}

// TestStores runs the scenarios against the in-process fake.
func TestStores(t *testing.T) {
	runStoreScenarios(t, func(t *testing.T) backend { return fakeBackend{newFake(t)} })
}

// TestIntegrationStores runs them against moto; it skips unless
// S1CRETS_TEST_MOTO_URL is set.
func TestIntegrationStores(t *testing.T) {
	runStoreScenarios(t, func(t *testing.T) backend { return motoBackend{newMoto(t)} })
}

// Row 3: GetParameter with WithDecryption, decrypt in the cache key,
// ErrNotFound or Default.
func scenarioPSDecrypt(t *testing.T, b backend) {
	b.putParam(t, awsfake.Parameter{Name: "/app/pw", Value: "hunter2", Type: "SecureString"})
	b.putParam(t, awsfake.Parameter{Name: "/app/list", Value: "a,b", Type: "StringList"})
	p, c := b.ps(t)

	v, err := p.Get(ctx, "/app/pw")
	require.NoError(t, err)
	assert.Equal(t, "hunter2", v.Text())
	v, err = p.Get(ctx, "/app/pw", s1crets.Decrypt(false))
	require.NoError(t, err)
	assert.NotEqual(t, "hunter2", v.Text())
	assert.Equal(t, b.ciphertext("/app/pw", "hunter2"), v.Text())
	assert.Equal(t, 2, c.Calls("GetParameter"), "decrypt is part of the cache key")
	_, err = p.Get(ctx, "/app/pw")
	require.NoError(t, err)
	assert.Equal(t, 2, c.Calls("GetParameter"), "cached")

	v, err = p.Get(ctx, "/app/list")
	require.NoError(t, err)
	assert.Equal(t, "a,b", v.Text(), "a StringList is returned as stored")

	_, err = p.Get(ctx, "/app/nope")
	require.ErrorIs(t, err, s1crets.ErrNotFound)
	var pnf *ssmtypes.ParameterNotFound
	assert.ErrorAs(t, err, &pnf, "the SDK's error stays reachable")
	v, err = p.Get(ctx, "/app/nope", s1crets.Default("dflt"))
	require.NoError(t, err)
	assert.Equal(t, "dflt", v.Text())
}

// Row 4: the /aws/reference/secretsmanager/ walk.
func scenarioPSReferenceWalk(t *testing.T, b backend) {
	b.putSecret(t, "prod/db", `{"user":"admin","nested":{"k":"v"},"list":[{"a":1},{"a":2}],"zero":0,"top":"T"}`)
	b.putSecret(t, "prod/plain", "pw")
	b.putSecret(t, "num", "123")
	p, c := b.ps(t)
	ref := aws.ReferencePrefix
	for _, tc := range []struct {
		path string
		want string
		nf   bool
	}{
		{ref + "prod/db/user", "admin", false},
		{ref + "prod/db/nested/k", "v", false},
		{ref + "prod/db/list/a", "[1,2]", false},
		{ref + "prod/db/list/1/a", "2", false},
		{ref + "prod/db/zero", "0", false},
		{ref + "prod/plain", "pw", false},
		{ref + "num", "123", false},
		{ref + "prod/db/missing", "", true},
		{ref + "prod/db/zero/top", "", true}, // the original's falsy-value bug, fixed
		{ref + "prod/plain/extra", "", true},
		{ref + "num/x", "", true},
		{ref + "nope", "", true},
		{ref + "nope/deeper/still", "", true},
	} {
		v, err := p.Get(ctx, tc.path)
		if tc.nf {
			assert.ErrorIs(t, err, s1crets.ErrNotFound, tc.path)
			continue
		}
		if assert.NoError(t, err, tc.path) {
			assert.Equal(t, tc.want, v.Text(), tc.path)
		}
	}
	_, err := p.Get(ctx, ref)
	assert.Error(t, err, "the bare prefix names no secret")
	v, err := p.Get(ctx, ref+"prod/db")
	require.NoError(t, err)
	assert.True(t, v.IsJSON())
	v, err = p.Get(ctx, ref+"prod/db/")
	require.NoError(t, err)
	assert.True(t, v.IsJSON(), "a trailing slash reads the whole secret")
	v, err = p.Get(ctx, ref+"prod/db", s1crets.KeyPath("nested", "k"))
	require.NoError(t, err)
	assert.Equal(t, "v", v.Text())
	v, err = p.Get(ctx, ref+"prod/db/missing", s1crets.Default("D"))
	require.NoError(t, err)
	assert.Equal(t, "D", v.Text(), "Default applies to a missing key")
	v, err = p.Get(ctx, ref+"nope", s1crets.Default("D"))
	require.NoError(t, err)
	assert.Equal(t, "D", v.Text(), "Default applies to a missing secret too")

	c.Reset()
	_, err = p.Get(ctx, ref+"prod/db/nested/k/x", s1crets.NoCache())
	assert.ErrorIs(t, err, s1crets.ErrNotFound)
	assert.Equal(t, 4, c.Calls("GetParameter"), "tries .../nested/k/x, .../nested/k, .../nested, then prod/db")

	// WithDecryption must be true for references, on AWS and on moto.
	_, err = p.Get(ctx, ref+"prod/db", s1crets.Decrypt(false))
	assert.Equal(t, "ValidationException", apiCode(err))
}

// Row 5: GetParametersByPath, recursive and not, all pages, cached.
func scenarioPSGetByPath(t *testing.T, b backend) {
	for i := range 25 {
		b.putParam(t, awsfake.Parameter{Name: fmt.Sprintf("/svc/p%02d", i), Value: fmt.Sprint(i)})
	}
	b.putParam(t, awsfake.Parameter{Name: "/svc/deep/x", Value: "x"})
	b.putParam(t, awsfake.Parameter{Name: "/svc/sec", Value: "s3", Type: "SecureString"})
	b.putParam(t, awsfake.Parameter{Name: "/svcx", Value: "no"})
	p, c := b.ps(t)

	got, err := p.GetByPath(ctx, "/svc", s1crets.Recursive(false))
	require.NoError(t, err)
	assert.Len(t, got, 26)
	assert.Equal(t, "7", got["/svc/p07"].Text())
	assert.Equal(t, "s3", got["/svc/sec"].Text(), "decrypted by default")
	assert.NotContains(t, got, "/svc/deep/x")
	assert.Equal(t, 3, c.Calls("GetParametersByPath"), "26 parameters: pages of 10, 10, 6")
	_, err = p.GetByPath(ctx, "/svc", s1crets.Recursive(false))
	require.NoError(t, err)
	assert.Equal(t, 3, c.Calls("GetParametersByPath"), "a second call within the TTL: 0 calls")

	got, err = p.GetByPath(ctx, "/svc")
	require.NoError(t, err)
	assert.Len(t, got, 27, "recursive by default")
	assert.Contains(t, got, "/svc/deep/x")
	assert.NotContains(t, got, "/svcx")
	// 27 parameters: pages of 10, 10, 7. (moto quirk: a full page carries
	// a NextToken even when nothing follows, so 20 would take 3 calls, the
	// last one empty; the paginator follows it harmlessly.)
	assert.Equal(t, 6, c.Calls("GetParametersByPath"))

	got, err = p.GetByPath(ctx, "/svc/", s1crets.Decrypt(false))
	require.NoError(t, err)
	assert.Len(t, got, 27, "a trailing slash is the same path")
	assert.NotEqual(t, "s3", got["/svc/sec"].Text(), "Decrypt(false)")

	n := c.Calls("GetParameter")
	v, err := p.Get(ctx, "/svc/p03")
	require.NoError(t, err)
	assert.Equal(t, "3", v.Text())
	assert.Equal(t, n, c.Calls("GetParameter"), "GetByPath filled the cache for Get")

	got, err = p.GetByPath(ctx, "/nothing")
	require.NoError(t, err)
	assert.Empty(t, got)
}

// Row 6: PathExists at a "/" boundary.
func scenarioPSPathExistsBoundary(t *testing.T, b backend) {
	b.putParam(t, awsfake.Parameter{Name: "/a/bc", Value: "1"})
	b.putParam(t, awsfake.Parameter{Name: "/x/y/z", Value: "1"})
	for i := range 12 { // more than one page of DescribeParameters on moto (10)
		b.putParam(t, awsfake.Parameter{Name: fmt.Sprintf("/m/a%02d", i), Value: "1"})
	}
	b.putParam(t, awsfake.Parameter{Name: "/m/b/z", Value: "1"})
	p, c := b.ps(t)
	for path, want := range map[string]bool{
		"/a/bc": true, "/a/b": false, "/a": true, "/a/": true, "/x/y": true, "/x/y/": true, "/x/y/z": true,
		"/x/y/z/w": false, "/q": false, "/": true, "/m/b": true, "/m/a1": false, "/m/a11": true,
	} {
		got, err := p.PathExists(ctx, path)
		require.NoError(t, err, path)
		assert.Equal(t, want, got, path)
	}
	assert.Zero(t, c.Calls("GetParameter"), "PathExists uses DescribeParameters only")
	assert.Positive(t, c.Calls("DescribeParameters"))
}

// Row 7: Update finds the parameter by its exact name and keeps Type,
// KeyId, Description, Tier, DataType and AllowedPattern.
func scenarioPSUpdateKeepsMetadata(t *testing.T, b backend) {
	b.putParam(t, awsfake.Parameter{
		Name: "/app/key", Value: "old-1", Type: "SecureString", KeyId: "alias/custom",
		Description: "the key", Tier: "Advanced", AllowedPattern: "^[a-z0-9-]+$",
	})
	b.putParam(t, awsfake.Parameter{Name: "/app/keyx", Value: "other"})
	b.putParam(t, awsfake.Parameter{Name: "/app/ami", Value: "ami-12345678", DataType: "aws:ec2:image"})
	b.putParam(t, awsfake.Parameter{Name: "/app/deep/x/y", Value: "deep"})
	p, c := b.ps(t)

	_, err := p.Get(ctx, "/app/key")
	require.NoError(t, err)
	_, err = p.GetByPath(ctx, "/app")
	require.NoError(t, err)
	c.Reset()
	require.NoError(t, p.Update(ctx, "/app/key", "new-2"))
	assert.Equal(t, 1, c.Calls("DescribeParameters"))
	assert.Equal(t, 1, c.Calls("PutParameter"))
	got := b.param(t, "/app/key")
	assert.Equal(t, "new-2", got.Value)
	assert.Equal(t, "SecureString", got.Type)
	assert.Equal(t, "alias/custom", got.KeyId)
	assert.Equal(t, "the key", got.Description)
	assert.Equal(t, "Advanced", got.Tier)
	assert.Equal(t, "^[a-z0-9-]+$", got.AllowedPattern)
	assert.GreaterOrEqual(t, got.Version, int64(2))
	assert.Equal(t, "other", b.param(t, "/app/keyx").Value, "an exact-name lookup: /app/keyx untouched")

	v, err := p.Get(ctx, "/app/key")
	require.NoError(t, err)
	assert.Equal(t, "new-2", v.Text(), "Update dropped the cached value")
	all, err := p.GetByPath(ctx, "/app")
	require.NoError(t, err)
	assert.Equal(t, "new-2", all["/app/key"].Text(), "Update dropped the cached listings")

	// moto quirk: an overwrite without DataType resets it to "text" (the
	// original loses it that way); the library sends it, so it stays.
	require.NoError(t, p.Update(ctx, "/app/ami", "ami-87654321"))
	assert.Equal(t, "aws:ec2:image", b.param(t, "/app/ami").DataType)

	err = p.Update(ctx, "/app/ke", "x")
	assert.ErrorIs(t, err, s1crets.ErrNotFound, "a prefix is not a parameter")
	err = p.Update(ctx, "/app/deep", "x")
	assert.ErrorIs(t, err, s1crets.ErrNotFound, "a path is not a parameter (the original overwrote /app/deep/x/y)")
	assert.Equal(t, "deep", b.param(t, "/app/deep/x/y").Value)

	// moto quirk: moto never checks AllowedPattern (AWS answers
	// ParameterPatternMismatchException, as the fake does). What both can
	// show: the pattern is still stored.
	err = p.Update(ctx, "/app/key", "NOT ALLOWED")
	if b.isMoto() {
		require.NoError(t, err)
	} else {
		var mismatch *ssmtypes.ParameterPatternMismatchException
		assert.ErrorAs(t, err, &mismatch, "AllowedPattern still applies")
	}
	assert.Equal(t, "^[a-z0-9-]+$", b.param(t, "/app/key").AllowedPattern)
}

// Rows 8 and 12: GetSecretValue of JSON, plain and binary secrets; key
// paths after the cache; PathExists.
func scenarioSMGet(t *testing.T, b backend) {
	b.putSecret(t, "db", `{"user":"admin","port":5432,"hosts":[{"h":"a"},{"h":"b"}]}`)
	b.putSecret(t, "plain", "hunter2")
	b.putSecret(t, "num", "1.50")
	b.putBinary(t, "bin", []byte{0, 1, 2, 255})
	p, c := b.sm(t)

	v, err := p.Get(ctx, "db", s1crets.KeyPath("port"))
	require.NoError(t, err)
	assert.Equal(t, "5432", v.Text())
	v, err = p.Get(ctx, "db", s1crets.KeyPath("hosts", "h"))
	require.NoError(t, err)
	assert.Equal(t, `["a","b"]`, v.Text())
	v, err = p.Get(ctx, "db")
	require.NoError(t, err)
	assert.True(t, v.IsJSON())
	assert.Equal(t, 1, c.Calls("GetSecretValue"), "key paths are applied after the cache")
	v, err = p.Get(ctx, "plain")
	require.NoError(t, err)
	assert.Equal(t, "hunter2", v.Text())
	assert.False(t, v.IsJSON())
	v, err = p.Get(ctx, "num")
	require.NoError(t, err)
	assert.True(t, v.IsJSON())
	assert.Equal(t, "1.50", v.Text())
	v, err = p.Get(ctx, "bin")
	require.NoError(t, err)
	assert.True(t, v.IsBinary())
	assert.Equal(t, []byte{0, 1, 2, 255}, v.Bytes())
	assert.Equal(t, 4, c.Calls("GetSecretValue"))

	v, err = p.Get(ctx, b.secretARN(t, "plain"))
	require.NoError(t, err)
	assert.Equal(t, "hunter2", v.Text(), "a secret by ARN")

	_, err = p.Get(ctx, "nope")
	require.ErrorIs(t, err, s1crets.ErrNotFound)
	var rnf *smtypes.ResourceNotFoundException
	assert.ErrorAs(t, err, &rnf)
	_, err = p.Get(ctx, "db", s1crets.KeyPath("password"))
	require.ErrorIs(t, err, s1crets.ErrNotFound)
	v, err = p.Get(ctx, "db", s1crets.KeyPath("password"), s1crets.Default("D"))
	require.NoError(t, err)
	assert.Equal(t, "D", v.Text())

	for _, tc := range []struct {
		path string
		keys []string
		want bool
	}{
		{"db", nil, true}, {"db", []string{"user"}, true}, {"db", []string{"password"}, false},
		{"nope", nil, false}, {"d", nil, false}, {"bin", nil, true},
	} {
		ok, err := p.PathExists(ctx, tc.path, s1crets.KeyPath(tc.keys...))
		require.NoError(t, err, tc.path)
		assert.Equal(t, tc.want, ok, "%s %v", tc.path, tc.keys)
	}
}

// Row 8: VersionStage and VersionID, part of the cache key.
func scenarioSMVersions(t *testing.T, b backend) {
	v1 := b.putSecret(t, "rot", "first")
	p, c := b.sm(t)
	require.NoError(t, p.Update(ctx, "rot", "second"))
	cur, err := p.Get(ctx, "rot")
	require.NoError(t, err)
	assert.Equal(t, "second", cur.Text())
	prev, err := p.Get(ctx, "rot", s1crets.VersionStage("AWSPREVIOUS"))
	require.NoError(t, err)
	assert.Equal(t, "first", prev.Text())
	byID, err := p.Get(ctx, "rot", s1crets.VersionID(v1))
	require.NoError(t, err)
	assert.Equal(t, "first", byID.Text())
	n := c.Calls("GetSecretValue")
	_, err = p.Get(ctx, "rot", s1crets.VersionStage("AWSPREVIOUS"))
	require.NoError(t, err)
	assert.Equal(t, n, c.Calls("GetSecretValue"), "each version is cached on its own")
	_, err = p.Get(ctx, "rot", s1crets.VersionStage("NOPE"))
	assert.ErrorIs(t, err, s1crets.ErrNotFound)
}

// Row 11: Update writes the same kind (string or binary) and drops the
// cached value.
func scenarioSMUpdateKeepsKind(t *testing.T, b backend) {
	b.putBinary(t, "bin", []byte{1, 2})
	b.putSecret(t, "txt", "a")
	p, c := b.sm(t)
	_, err := p.Get(ctx, "txt")
	require.NoError(t, err)
	c.Reset()
	require.NoError(t, p.Update(ctx, "bin", "new-bytes"))
	require.NoError(t, p.Update(ctx, "txt", "new-text"))
	assert.Equal(t, 2, c.Calls("GetSecretValue"), "Update reads the secret to see its kind")
	assert.Equal(t, 2, c.Calls("PutSecretValue"))

	str, bin := b.secret(t, "bin")
	assert.Equal(t, []byte("new-bytes"), bin)
	assert.Nil(t, str)
	str, bin = b.secret(t, "txt")
	require.NotNil(t, str)
	assert.Equal(t, "new-text", *str)
	assert.Nil(t, bin)

	v, err := p.Get(ctx, "txt")
	require.NoError(t, err)
	assert.Equal(t, "new-text", v.Text(), "Update dropped the cached value")
	v, err = p.Get(ctx, "bin")
	require.NoError(t, err)
	assert.True(t, v.IsBinary())

	err = p.Update(ctx, "missing", "x")
	assert.ErrorIs(t, err, s1crets.ErrNotFound)
}

func seedStoreSecrets(t *testing.T, b backend, n int) {
	t.Helper()
	for i := range n {
		b.putSecret(t, fmt.Sprintf("prod/s%03d", i), fmt.Sprintf(`{"i":%d}`, i))
	}
	b.putSecret(t, "prodx", "also matches the name prefix")
	b.putSecret(t, "staging/s", "no")
	b.putSecret(t, "Prod/upper", "the name filter is case-sensitive")
}

// Row 10: GetByPath with BatchGetSecretValue (20 a call, Filters).
func scenarioSMGetByPathBatch(t *testing.T, b backend) {
	seedStoreSecrets(t, b, 100)
	p, c := b.sm(t)
	got, err := p.GetByPath(ctx, "prod")
	require.NoError(t, err)
	assert.Len(t, got, 101, "a name prefix, as the original: prodx too")
	assert.NotContains(t, got, "Prod/upper")
	v, err := got["prod/s042"].Lookup("i")
	require.NoError(t, err)
	assert.Equal(t, "42", v.Text())
	assert.LessOrEqual(t, c.Total(), 6, "101 secrets in at most 6 calls")
	assert.Equal(t, 6, c.Calls("BatchGetSecretValue"), "101 secrets, 20 a call")
	assert.Zero(t, c.Calls("GetSecretValue"))
	_, err = p.Get(ctx, "prod/s007")
	require.NoError(t, err)
	assert.Zero(t, c.Calls("GetSecretValue"), "GetByPath filled the cache for Get")
	_, err = p.GetByPath(ctx, "prod")
	require.NoError(t, err)
	assert.Equal(t, 6, c.Calls("BatchGetSecretValue"), "cached")

	got, err = p.GetByPath(ctx, "prod/")
	require.NoError(t, err)
	assert.Len(t, got, 100)
	got, err = p.GetByPath(ctx, "nothing")
	require.NoError(t, err)
	assert.Empty(t, got)
}

// Row 10: when BatchGetSecretValue is denied, ListSecrets then one
// GetSecretValue per secret.
func scenarioSMGetByPathFallback(t *testing.T, b backend) {
	seedStoreSecrets(t, b, 30)
	p, c := b.sm(t)
	c.Deny("BatchGetSecretValue")
	got, err := p.GetByPath(ctx, "prod/")
	require.NoError(t, err)
	assert.Len(t, got, 30)
	assert.Equal(t, `{"i":29}`, got["prod/s029"].Text())
	assert.Equal(t, 1, c.Calls("BatchGetSecretValue"))
	assert.Equal(t, 1, c.Calls("ListSecrets"))
	assert.Equal(t, 30, c.Calls("GetSecretValue"), "one by one when the batch call is denied")
}

// fakeBackend is the in-process fake. Its counts are the server's, so each
// scenario builds one provider per fake.
type fakeBackend struct{ f *awsfake.Server }

type fakeCalls struct{ f *awsfake.Server }

func (c fakeCalls) Calls(op string) int { return c.f.Calls(op) }
func (c fakeCalls) Total() int          { return c.f.TotalCalls() }
func (c fakeCalls) Reset()              { c.f.ResetCalls() }
func (c fakeCalls) Deny(op string)      { c.f.Deny(op) }

func (b fakeBackend) isMoto() bool { return false }

func (b fakeBackend) putParam(t *testing.T, p awsfake.Parameter) {
	if p.Type == "" {
		p.Type = "String"
	}
	b.f.PutParameter(p)
}

func (b fakeBackend) putSecret(t *testing.T, name, value string) string {
	return b.f.PutSecretString(name, value)
}

func (b fakeBackend) putBinary(t *testing.T, name string, value []byte) {
	b.f.PutSecretBinary(name, value)
}

func (b fakeBackend) param(t *testing.T, name string) awsfake.Parameter {
	p, ok := b.f.Parameter(name)
	require.True(t, ok, name)
	return p
}

func (b fakeBackend) secret(t *testing.T, name string) (*string, []byte) {
	s, ok := b.f.Secret(name)
	require.True(t, ok, name)
	if s.SecretBinary != nil {
		return nil, s.SecretBinary
	}
	return &s.SecretString, nil
}

func (b fakeBackend) secretARN(t *testing.T, name string) string {
	s, ok := b.f.Secret(name)
	require.True(t, ok, name)
	return s.ARN
}

func (b fakeBackend) ciphertext(name, _ string) string { return awsfake.Ciphertext(name) }

func (b fakeBackend) ps(t *testing.T, opts ...aws.Option) (*aws.ParameterStore, calls) {
	return newPS(t, b.f, opts...), fakeCalls{b.f}
}

func (b fakeBackend) sm(t *testing.T, opts ...aws.Option) (*aws.SecretsManager, calls) {
	return newSM(t, b.f, opts...), fakeCalls{b.f}
}

// motoBackend is an account of its own on moto's server.
type motoBackend struct{ m *motoAccount }

func (b motoBackend) isMoto() bool { return true }

func (b motoBackend) putParam(t *testing.T, p awsfake.Parameter) {
	in := ssm.PutParameterInput{Name: &p.Name, Value: &p.Value, Type: ssmtypes.ParameterType(p.Type)}
	if p.KeyId != "" {
		in.KeyId = &p.KeyId
	}
	if p.Description != "" {
		in.Description = &p.Description
	}
	if p.AllowedPattern != "" {
		in.AllowedPattern = &p.AllowedPattern
	}
	if p.DataType != "" {
		in.DataType = &p.DataType
	}
	in.Tier = ssmtypes.ParameterTier(p.Tier)
	b.m.putParam(t, in)
}

func (b motoBackend) putSecret(t *testing.T, name, value string) string {
	return b.m.putSecret(t, name, value)
}

func (b motoBackend) putBinary(t *testing.T, name string, value []byte) {
	b.m.putBinary(t, name, value)
}

func (b motoBackend) param(t *testing.T, name string) awsfake.Parameter {
	out, err := b.m.ssm.GetParameter(ctx, &ssm.GetParameterInput{Name: &name, WithDecryption: awssdk.Bool(true)})
	require.NoError(t, err, name)
	meta := b.m.describe(t, name)
	return awsfake.Parameter{
		Name: name, Value: awssdk.ToString(out.Parameter.Value), Type: string(meta.Type),
		KeyId: awssdk.ToString(meta.KeyId), Description: awssdk.ToString(meta.Description), Tier: string(meta.Tier),
		AllowedPattern: awssdk.ToString(meta.AllowedPattern), DataType: awssdk.ToString(meta.DataType), Version: meta.Version,
	}
}

func (b motoBackend) secret(t *testing.T, name string) (*string, []byte) {
	out, err := b.m.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &name})
	require.NoError(t, err, name)
	return out.SecretString, out.SecretBinary
}

func (b motoBackend) secretARN(t *testing.T, name string) string {
	out, err := b.m.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: &name})
	require.NoError(t, err, name)
	return awssdk.ToString(out.ARN)
}

// ciphertext: moto quirk: its "ciphertext" is "kms:<key>:<plaintext>";
// AWS returns base64 KMS ciphertext. Either way it is not the plaintext.
func (b motoBackend) ciphertext(_, value string) string { return "kms:alias/aws/ssm:" + value }

func (b motoBackend) ps(t *testing.T, opts ...aws.Option) (*aws.ParameterStore, calls) {
	return b.m.newPS(t, opts...)
}

func (b motoBackend) sm(t *testing.T, opts ...aws.Option) (*aws.SecretsManager, calls) {
	return b.m.newSM(t, opts...)
}

// Value.Meta: what GetSecretValue, BatchGetSecretValue, GetParameter,
// GetParameters and GetParametersByPath said besides the value, the same
// through Get, GetMany and GetByPath, and again from the cache.
func scenarioMeta(t *testing.T, b backend) {
	version := b.putSecret(t, "meta/db", "s3cret")
	b.putParam(t, awsfake.Parameter{Name: "/meta/db", Value: "s3cret", Type: "SecureString"})
	sm, _ := b.sm(t)
	ps, _ := b.ps(t)

	checkSM := func(how string, v s1crets.Value) {
		m := v.Meta()
		assert.Equal(t, "meta/db", m.Name, how)
		assert.Equal(t, b.secretARN(t, "meta/db"), m.ARN, how)
		assert.Equal(t, version, m.Version, how)
		assert.Contains(t, m.Stages, "AWSCURRENT", how)
		assert.False(t, m.Created.IsZero(), how)
	}
	checkPS := func(how string, v s1crets.Value) {
		m := v.Meta()
		assert.Equal(t, "/meta/db", m.Name, how)
		assert.Regexp(t, `^arn:aws:ssm:[a-z0-9-]+:\d{12}:parameter/meta/db$`, m.ARN, how)
		assert.Equal(t, "1", m.Version, how)
		assert.Equal(t, "SecureString", m.Type, how)
		assert.Equal(t, "text", m.DataType, how)
		assert.False(t, m.Created.IsZero(), how)
	}
	for range 2 { // the second round is answered by the cache
		v, err := sm.Get(ctx, "meta/db")
		require.NoError(t, err)
		checkSM("Get", v)
		m, err := sm.GetByPath(ctx, "meta/")
		require.NoError(t, err)
		checkSM("GetByPath", m["meta/db"])
		many, err := sm.GetMany(ctx, []string{"meta/db"}, s1crets.NoCache()) // a batch call
		require.NoError(t, err)
		checkSM("GetMany", many.Values["meta/db"])

		v, err = ps.Get(ctx, "/meta/db")
		require.NoError(t, err)
		checkPS("Get", v)
		m, err = ps.GetByPath(ctx, "/meta")
		require.NoError(t, err)
		checkPS("GetByPath", m["/meta/db"])
		many, err = ps.GetMany(ctx, []string{"/meta/db"}, s1crets.NoCache()) // a batch call
		require.NoError(t, err)
		checkPS("GetMany", many.Values["/meta/db"])
	}
	v, err := sm.Get(ctx, "meta/db", s1crets.KeyPath())
	require.NoError(t, err)
	assert.Equal(t, version, v.Meta().Version)

	// A Secrets Manager secret read through Parameter Store's reference
	// path: GetParameter's answer for it.
	v, err = ps.Get(ctx, aws.ReferencePrefix+"meta/db")
	require.NoError(t, err)
	assert.Equal(t, "s3cret", v.Text())
	m := v.Meta()
	assert.Equal(t, aws.ReferencePrefix+"meta/db", m.Name)
	assert.Equal(t, "SecureString", m.Type)
	assert.Contains(t, m.SourceResult, b.secretARN(t, "meta/db"), "SourceResult describes the secret")
}
