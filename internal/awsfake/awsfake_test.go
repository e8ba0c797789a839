package awsfake_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets/internal/awsfake"
)

// noBackoff makes retries immediate so fault tests run fast.
type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

func fastRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.Backoff = noBackoff{}
		o.RateLimiter = ratelimit.None
		o.MaxAttempts = 3
	})
}

func newFake(t *testing.T) (*awsfake.Server, aws.Config) {
	t.Helper()
	s := awsfake.New()
	t.Cleanup(s.Close)
	cfg := s.Config(context.Background())
	cfg.Retryer = fastRetryer
	return s, cfg
}

func apiCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae)
	return ae.ErrorCode()
}

// ---------------------------------------------------------------- SSM

func TestSSMGetParameter(t *testing.T) {
	s, cfg := newFake(t)
	c := ssm.NewFromConfig(cfg)
	ctx := context.Background()
	s.PutParameter(awsfake.Parameter{Name: "/app/plain", Value: "hello"})
	s.PutParameter(awsfake.Parameter{Name: "/app/secret", Value: "s3cret", Type: "SecureString"})

	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/plain")})
	require.NoError(t, err)
	p := out.Parameter
	assert.Equal(t, "/app/plain", aws.ToString(p.Name))
	assert.Equal(t, "hello", aws.ToString(p.Value))
	assert.Equal(t, ssmtypes.ParameterTypeString, p.Type)
	assert.EqualValues(t, 1, p.Version)
	assert.Equal(t, "text", aws.ToString(p.DataType))
	assert.Equal(t, "arn:aws:ssm:us-east-1:123456789012:parameter/app/plain", aws.ToString(p.ARN))
	assert.WithinDuration(t, time.Now(), aws.ToTime(p.LastModifiedDate), time.Minute)

	out, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/secret")})
	require.NoError(t, err)
	assert.Equal(t, awsfake.Ciphertext("/app/secret"), aws.ToString(out.Parameter.Value))
	assert.Equal(t, ssmtypes.ParameterTypeSecureString, out.Parameter.Type)

	out, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/secret"), WithDecryption: aws.Bool(true)})
	require.NoError(t, err)
	assert.Equal(t, "s3cret", aws.ToString(out.Parameter.Value))

	// by ARN
	out, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("arn:aws:ssm:us-east-1:123456789012:parameter/app/plain")})
	require.NoError(t, err)
	assert.Equal(t, "hello", aws.ToString(out.Parameter.Value))

	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/missing")})
	var nf *ssmtypes.ParameterNotFound
	require.ErrorAs(t, err, &nf)

	assert.Equal(t, 5, s.Calls("GetParameter"))
	st, ok := s.Parameter("/app/secret")
	require.True(t, ok)
	assert.Equal(t, "alias/aws/ssm", st.KeyId)
	assert.Equal(t, "Standard", st.Tier)
}

func TestSSMSecretsManagerReference(t *testing.T) {
	s, cfg := newFake(t)
	c := ssm.NewFromConfig(cfg)
	ctx := context.Background()
	s.PutSecretString("db/creds", `{"user":"u"}`)
	s.PutSecretBinary("bin", []byte{0, 1, 2})
	name := "/aws/reference/secretsmanager/db/creds"

	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	require.NoError(t, err)
	assert.Equal(t, name, aws.ToString(out.Parameter.Name))
	assert.Equal(t, `{"user":"u"}`, aws.ToString(out.Parameter.Value))
	assert.Equal(t, ssmtypes.ParameterTypeSecureString, out.Parameter.Type)
	sec, _ := s.Secret("db/creds")
	assert.Equal(t, sec.ARN, aws.ToString(out.Parameter.ARN))
	assert.Contains(t, aws.ToString(out.Parameter.SourceResult), sec.VersionID)

	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	assert.Equal(t, "ValidationException", apiCode(t, err))
	assert.Contains(t, err.Error(), "WithDecryption flag must be True")

	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/aws/reference/secretsmanager/nope"), WithDecryption: aws.Bool(true)})
	var nf *ssmtypes.ParameterNotFound
	require.ErrorAs(t, err, &nf)

	out, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/aws/reference/secretsmanager/bin"), WithDecryption: aws.Bool(true)})
	require.NoError(t, err)
	assert.Equal(t, base64.StdEncoding.EncodeToString([]byte{0, 1, 2}), aws.ToString(out.Parameter.Value))

	s.Deny("GetSecretValue")
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	var ad *ssmtypes.AccessDeniedException
	require.ErrorAs(t, err, &ad)
}

func TestSSMGetParameters(t *testing.T) {
	s, cfg := newFake(t)
	c := ssm.NewFromConfig(cfg)
	ctx := context.Background()
	s.PutParameter(awsfake.Parameter{Name: "/a", Value: "1"})
	s.PutParameter(awsfake.Parameter{Name: "/b", Value: "2", Type: "SecureString"})

	out, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/a", "/b", "/zz", "/a"}, WithDecryption: aws.Bool(true)})
	require.NoError(t, err)
	require.Len(t, out.Parameters, 2)
	assert.Equal(t, "1", aws.ToString(out.Parameters[0].Value))
	assert.Equal(t, "2", aws.ToString(out.Parameters[1].Value))
	assert.Equal(t, []string{"/zz"}, out.InvalidParameters)

	names := make([]string, 11)
	for i := range names {
		names[i] = fmt.Sprintf("/p%d", i)
	}
	_, err = c.GetParameters(ctx, &ssm.GetParametersInput{Names: names})
	var ve *ssmtypes.ValidationException
	require.ErrorAs(t, err, &ve)
}

// Version and label selectors and ARNs, in GetParameter and GetParameters,
// as AWS answers them: the bare name, the Selector and that version.
func TestSSMSelectors(t *testing.T) {
	s, cfg := newFake(t)
	c := ssm.NewFromConfig(cfg)
	ctx := context.Background()
	s.PutParameter(awsfake.Parameter{Name: "/a", Value: "one", Type: "SecureString"})
	_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/a"), Value: aws.String("two"), Overwrite: aws.Bool(true)})
	require.NoError(t, err)
	s.PutParameter(awsfake.Parameter{Name: "/a", Value: "three", Type: "SecureString"})
	require.True(t, s.LabelParameterVersion("/a", 2, "stable"))
	assert.False(t, s.LabelParameterVersion("/a", 9, "nope"))
	p, _ := s.Parameter("/a")
	arn := p.ARN
	require.Equal(t, "arn:aws:ssm:us-east-1:123456789012:parameter/a", arn)

	for name, want := range map[string]struct {
		value, sel string
		version    int64
	}{
		"/a":            {"three", "", 3},
		"/a:1":          {"one", ":1", 1},
		"/a:2":          {"two", ":2", 2},
		"/a:stable":     {"two", ":stable", 2},
		arn:             {"three", "", 3},
		arn + ":1":      {"one", ":1", 1},
		arn + ":stable": {"two", ":stable", 2},
	} {
		out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
		require.NoError(t, err, name)
		assert.Equal(t, "/a", aws.ToString(out.Parameter.Name), name)
		assert.Equal(t, want.value, aws.ToString(out.Parameter.Value), name)
		assert.Equal(t, want.sel, aws.ToString(out.Parameter.Selector), name)
		assert.Equal(t, want.version, out.Parameter.Version, name)
		assert.Equal(t, arn, aws.ToString(out.Parameter.ARN), name)
	}
	for _, name := range []string{"/a:4", "/a:nolabel", arn + ":0"} {
		_, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		var vnf *ssmtypes.ParameterVersionNotFound
		assert.ErrorAs(t, err, &vnf, name)
	}
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/b:1")})
	var pnf *ssmtypes.ParameterNotFound
	assert.ErrorAs(t, err, &pnf)

	out, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/a:1", arn, "/a:stable", "/a:7", "/b"}, WithDecryption: aws.Bool(true)})
	require.NoError(t, err)
	require.Len(t, out.Parameters, 3)
	got := map[string]string{}
	for _, p := range out.Parameters {
		assert.Equal(t, "/a", aws.ToString(p.Name))
		assert.Equal(t, arn, aws.ToString(p.ARN))
		got[aws.ToString(p.Selector)] = aws.ToString(p.Value)
	}
	assert.Equal(t, map[string]string{":1": "one", "": "three", ":stable": "two"}, got)
	assert.ElementsMatch(t, []string{"/a:7", "/b"}, out.InvalidParameters)
}

func TestSSMGetParametersByPath(t *testing.T) {
	s, cfg := newFake(t)
	c := ssm.NewFromConfig(cfg)
	ctx := context.Background()
	for i := range 25 {
		s.PutParameter(awsfake.Parameter{Name: fmt.Sprintf("/app/p%02d", i), Value: fmt.Sprint(i)})
	}
	s.PutParameter(awsfake.Parameter{Name: "/app/sub/deep", Value: "d", Type: "SecureString"})
	s.PutParameter(awsfake.Parameter{Name: "/application/x", Value: "x"})
	s.PutParameter(awsfake.Parameter{Name: "/app", Value: "self"})
	s.PutParameter(awsfake.Parameter{Name: "root", Value: "r"})

	// manual paging: 3 pages of 10, 10, 5
	var got []string
	var pages int
	var token *string
	for {
		out, err := c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/app"), MaxResults: aws.Int32(10), NextToken: token})
		require.NoError(t, err)
		pages++
		for _, p := range out.Parameters {
			got = append(got, aws.ToString(p.Name))
		}
		if out.NextToken == nil {
			assert.Len(t, out.Parameters, 5)
			break
		}
		assert.Len(t, out.Parameters, 10)
		token = out.NextToken
	}
	assert.Equal(t, 3, pages)
	require.Len(t, got, 25)
	assert.Equal(t, "/app/p00", got[0])
	assert.Equal(t, "/app/p24", got[24])
	assert.Equal(t, 3, s.Calls("GetParametersByPath"))

	// recursive via the SDK paginator, default page size 10
	s.ResetCalls()
	pg := ssm.NewGetParametersByPathPaginator(c, &ssm.GetParametersByPathInput{Path: aws.String("/app/"), Recursive: aws.Bool(true)})
	var all []ssmtypes.Parameter
	for pg.HasMorePages() {
		out, err := pg.NextPage(ctx)
		require.NoError(t, err)
		all = append(all, out.Parameters...)
	}
	require.Len(t, all, 26)
	assert.Equal(t, "/app/sub/deep", aws.ToString(all[25].Name))
	assert.Equal(t, awsfake.Ciphertext("/app/sub/deep"), aws.ToString(all[25].Value))
	assert.Equal(t, 3, s.Calls("GetParametersByPath"))

	// "/" recursive: everything; non-recursive: root level only
	out, err := c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/"), MaxResults: aws.Int32(10)})
	require.NoError(t, err)
	var rootNames []string
	for _, p := range out.Parameters {
		rootNames = append(rootNames, aws.ToString(p.Name))
	}
	assert.Equal(t, []string{"/app", "root"}, rootNames)

	// decrypted
	out, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/app/sub"), WithDecryption: aws.Bool(true)})
	require.NoError(t, err)
	require.Len(t, out.Parameters, 1)
	assert.Equal(t, "d", aws.ToString(out.Parameters[0].Value))

	var ve *ssmtypes.ValidationException
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/app"), MaxResults: aws.Int32(11)})
	require.ErrorAs(t, err, &ve)
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("app")})
	require.ErrorAs(t, err, &ve)
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/app"), NextToken: aws.String("garbage")})
	var bad *ssmtypes.InvalidNextToken
	require.ErrorAs(t, err, &bad)
}

func TestSSMDescribeParameters(t *testing.T) {
	s, cfg := newFake(t)
	c := ssm.NewFromConfig(cfg)
	ctx := context.Background()
	for i := range 60 {
		s.PutParameter(awsfake.Parameter{Name: fmt.Sprintf("/svc/p%02d", i), Value: "v"})
	}
	s.PutParameter(awsfake.Parameter{Name: "/svc/nested/k", Value: "v", Type: "SecureString", KeyId: "alias/mine", Description: "d", AllowedPattern: "v+"})
	s.PutParameter(awsfake.Parameter{Name: "/other/x", Value: "v", Type: "StringList"})

	out, err := c.DescribeParameters(ctx, &ssm.DescribeParametersInput{})
	require.NoError(t, err)
	assert.Len(t, out.Parameters, 50)
	require.NotNil(t, out.NextToken)
	out2, err := c.DescribeParameters(ctx, &ssm.DescribeParametersInput{NextToken: out.NextToken})
	require.NoError(t, err)
	assert.Len(t, out2.Parameters, 12)
	assert.Nil(t, out2.NextToken)

	// What the library sends: Name Equals (Update) and Name BeginsWith
	// (PathExists).
	out, err = c.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
		{Key: aws.String("Name"), Option: aws.String("Equals"), Values: []string{"/svc/nested/k"}},
	}})
	require.NoError(t, err)
	require.Len(t, out.Parameters, 1)
	m := out.Parameters[0]
	assert.Equal(t, "/svc/nested/k", aws.ToString(m.Name))
	assert.Equal(t, ssmtypes.ParameterTypeSecureString, m.Type)
	assert.Equal(t, "alias/mine", aws.ToString(m.KeyId))
	assert.Equal(t, "d", aws.ToString(m.Description))
	assert.Equal(t, "v+", aws.ToString(m.AllowedPattern))
	assert.Equal(t, ssmtypes.ParameterTierStandard, m.Tier)
	assert.Equal(t, "text", aws.ToString(m.DataType))
	assert.EqualValues(t, 1, m.Version)
	assert.NotEmpty(t, aws.ToString(m.ARN))
	assert.False(t, aws.ToTime(m.LastModifiedDate).IsZero())

	out, err = c.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
		{Key: aws.String("Name"), Values: []string{"/svc/p1"}},
	}})
	require.NoError(t, err)
	assert.Empty(t, out.Parameters, "Equals by default: /svc/p1 is no parameter")
	out, err = c.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
		{Key: aws.String("Name"), Option: aws.String("BeginsWith"), Values: []string{"/svc/p1"}},
	}})
	require.NoError(t, err)
	assert.Len(t, out.Parameters, 10)

	var ve *ssmtypes.ValidationException
	_, err = c.DescribeParameters(ctx, &ssm.DescribeParametersInput{MaxResults: aws.Int32(51)})
	require.ErrorAs(t, err, &ve)
	// Keys and options the library never sends are refused, not ignored.
	_, err = c.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
		{Key: aws.String("Type"), Values: []string{"String"}},
	}})
	var fk *ssmtypes.InvalidFilterKey
	require.ErrorAs(t, err, &fk)
	_, err = c.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
		{Key: aws.String("Name"), Option: aws.String("Contains"), Values: []string{"x"}},
	}})
	var fo *ssmtypes.InvalidFilterOption
	require.ErrorAs(t, err, &fo)
}

func TestSSMPutParameter(t *testing.T) {
	s, cfg := newFake(t)
	c := ssm.NewFromConfig(cfg)
	ctx := context.Background()
	s.PutParameter(awsfake.Parameter{Name: "/app/key", Value: "abc123", Type: "SecureString", KeyId: "alias/custom",
		Description: "desc", AllowedPattern: "[a-z0-9]+"})

	// Without Overwrite, an existing parameter is not replaced; the library
	// always overwrites an existing one, and creates none.
	_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/key"), Value: aws.String("x"), Type: ssmtypes.ParameterTypeString})
	var ae *ssmtypes.ParameterAlreadyExists
	require.ErrorAs(t, err, &ae)
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/new"), Value: aws.String("x"), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)})
	var ve *ssmtypes.ValidationException
	require.ErrorAs(t, err, &ve)

	// overwrite with only Name/Value: Type, Description, AllowedPattern kept; KeyId reverts
	out, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/key"), Value: aws.String("def456"), Overwrite: aws.Bool(true)})
	require.NoError(t, err)
	assert.EqualValues(t, 2, out.Version)
	p, ok := s.Parameter("/app/key")
	require.True(t, ok)
	assert.Equal(t, "def456", p.Value)
	assert.Equal(t, "SecureString", p.Type)
	assert.Equal(t, "desc", p.Description)
	assert.Equal(t, "[a-z0-9]+", p.AllowedPattern)
	assert.Equal(t, "alias/aws/ssm", p.KeyId)
	assert.Equal(t, "Standard", p.Tier)
	assert.EqualValues(t, 2, p.Version)

	// what the library's Update sends: every field kept, the KeyId too
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/key"), Value: aws.String("ghi789"), Overwrite: aws.Bool(true),
		Type: ssmtypes.ParameterTypeSecureString, KeyId: aws.String("alias/custom"), Description: aws.String("desc"),
		Tier: ssmtypes.ParameterTierStandard, DataType: aws.String("text"), AllowedPattern: aws.String("[a-z0-9]+")})
	require.NoError(t, err)
	p, _ = s.Parameter("/app/key")
	assert.Equal(t, "alias/custom", p.KeyId)
	assert.EqualValues(t, 3, p.Version)

	// AllowedPattern is enforced on the whole value
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/key"), Value: aws.String("NOPE!"), Overwrite: aws.Bool(true)})
	var pm *ssmtypes.ParameterPatternMismatchException
	require.ErrorAs(t, err, &pm)
	p, _ = s.Parameter("/app/key")
	assert.EqualValues(t, 3, p.Version)

	// value size limits of the tiers; no downgrade
	big := strings.Repeat("x", 5000)
	s.PutParameter(awsfake.Parameter{Name: "/app/big", Value: "small", Type: "String"})
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/big"), Value: aws.String(big), Overwrite: aws.Bool(true)})
	require.ErrorAs(t, err, &ve)
	out, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/big"), Value: aws.String(big), Tier: ssmtypes.ParameterTierAdvanced, Overwrite: aws.Bool(true)})
	require.NoError(t, err)
	assert.Equal(t, ssmtypes.ParameterTierAdvanced, out.Tier)
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/big"), Value: aws.String("small"), Tier: ssmtypes.ParameterTierStandard, Overwrite: aws.Bool(true)})
	require.ErrorAs(t, err, &ve)

	// empty value; bad key id
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/key"), Value: aws.String(""), Overwrite: aws.Bool(true)})
	require.ErrorAs(t, err, &ve)
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/key"), Value: aws.String("v"), KeyId: aws.String("not a key"), Overwrite: aws.Bool(true)})
	var ik *ssmtypes.InvalidKeyId
	require.ErrorAs(t, err, &ik)
}

// ---------------------------------------------------------------- Secrets Manager

func TestSMGetSecretValue(t *testing.T) {
	s, cfg := newFake(t)
	c := secretsmanager.NewFromConfig(cfg)
	ctx := context.Background()

	id := s.PutSecretString("prod/db", "pw")
	sv, ok := s.Secret("prod/db")
	require.True(t, ok)
	arn := sv.ARN
	assert.Regexp(t, `^arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-[A-Za-z0-9]{6}$`, arn)
	assert.Equal(t, id, sv.VersionID)

	for _, secretID := range []string{"prod/db", arn, "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db"} {
		out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)})
		require.NoError(t, err, secretID)
		assert.Equal(t, "pw", aws.ToString(out.SecretString))
		assert.Nil(t, out.SecretBinary)
		assert.Equal(t, arn, aws.ToString(out.ARN))
		assert.Equal(t, "prod/db", aws.ToString(out.Name))
		assert.Equal(t, id, aws.ToString(out.VersionId))
		assert.Equal(t, []string{"AWSCURRENT"}, out.VersionStages)
		assert.WithinDuration(t, time.Now(), aws.ToTime(out.CreatedDate), time.Minute)
	}

	var nf *smtypes.ResourceNotFoundException
	_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("nope")})
	require.ErrorAs(t, err, &nf)
	assert.Contains(t, err.Error(), "Secrets Manager can't find the specified secret.")
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("prod/db"), VersionStage: aws.String("AWSPENDING")})
	require.ErrorAs(t, err, &nf)
	assert.Contains(t, err.Error(), "staging label")
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("prod/db"), VersionId: aws.String("00000000-0000-0000-0000-000000000000")})
	require.ErrorAs(t, err, &nf)
	assert.Contains(t, err.Error(), "VersionId")

	// binary
	s.PutSecretBinary("blob", []byte{1, 2, 3})
	out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("blob")})
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 2, 3}, out.SecretBinary)
	assert.Nil(t, out.SecretString)
}

func TestSMPutSecretValueStages(t *testing.T) {
	s, cfg := newFake(t)
	c := secretsmanager.NewFromConfig(cfg)
	ctx := context.Background()
	v1 := s.PutSecretString("app", "one")

	p2, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app"), SecretString: aws.String("two")})
	require.NoError(t, err)
	v2 := aws.ToString(p2.VersionId)
	assert.Equal(t, []string{"AWSCURRENT"}, p2.VersionStages)

	cur, ok := s.Secret("app")
	require.True(t, ok)
	assert.Equal(t, "two", cur.SecretString)
	assert.Equal(t, v2, cur.VersionID)

	prev, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app"), VersionStage: aws.String("AWSPREVIOUS")})
	require.NoError(t, err)
	assert.Equal(t, "one", aws.ToString(prev.SecretString))
	assert.Equal(t, v1, aws.ToString(prev.VersionId))

	// third version: v1 loses its label
	tok := "11111111-2222-3333-4444-555555555555"
	p3, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app"), SecretString: aws.String("three"), ClientRequestToken: aws.String(tok)})
	require.NoError(t, err)
	assert.Equal(t, tok, aws.ToString(p3.VersionId))
	prev, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app"), VersionStage: aws.String("AWSPREVIOUS")})
	require.NoError(t, err)
	assert.Equal(t, v2, aws.ToString(prev.VersionId))
	// the deprecated version stays readable by id
	old, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app"), VersionId: aws.String(v1)})
	require.NoError(t, err)
	assert.Equal(t, "one", aws.ToString(old.SecretString))
	assert.Empty(t, old.VersionStages)

	// idempotent retry with the same token; conflicting value
	again, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app"), SecretString: aws.String("three"), ClientRequestToken: aws.String(tok)})
	require.NoError(t, err)
	assert.Equal(t, tok, aws.ToString(again.VersionId))
	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app"), SecretString: aws.String("other"), ClientRequestToken: aws.String(tok)})
	var re *smtypes.ResourceExistsException
	require.ErrorAs(t, err, &re)

	// binary version via PutSecretValue
	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app"), SecretBinary: []byte("bin")})
	require.NoError(t, err)
	cur, _ = s.Secret("app")
	assert.Equal(t, []byte("bin"), cur.SecretBinary)
	assert.Empty(t, cur.SecretString)

	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("missing"), SecretString: aws.String("x")})
	var nf *smtypes.ResourceNotFoundException
	require.ErrorAs(t, err, &nf)
	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app")})
	var ir *smtypes.InvalidRequestException
	require.ErrorAs(t, err, &ir)
}

func TestSMBatchGetSecretValue(t *testing.T) {
	s, cfg := newFake(t)
	c := secretsmanager.NewFromConfig(cfg)
	ctx := context.Background()
	for i := range 25 {
		s.PutSecretString(fmt.Sprintf("batch/s%02d", i), fmt.Sprint(i))
	}
	s.PutSecretString("other", "o")

	out, err := c.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"batch/s01", "missing", "other"}})
	require.NoError(t, err)
	require.Len(t, out.SecretValues, 2)
	assert.Equal(t, "1", aws.ToString(out.SecretValues[0].SecretString))
	assert.Equal(t, "other", aws.ToString(out.SecretValues[1].Name))
	assert.Equal(t, []string{"AWSCURRENT"}, out.SecretValues[1].VersionStages)
	require.Len(t, out.Errors, 1)
	assert.Equal(t, "missing", aws.ToString(out.Errors[0].SecretId))
	assert.Equal(t, "ResourceNotFoundException", aws.ToString(out.Errors[0].ErrorCode))
	assert.Nil(t, out.NextToken)

	// filters with paging
	var names []string
	pages := 0
	pg := secretsmanager.NewBatchGetSecretValuePaginator(c, &secretsmanager.BatchGetSecretValueInput{
		Filters:    []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{"batch/"}}},
		MaxResults: aws.Int32(10),
	})
	for pg.HasMorePages() {
		o, err := pg.NextPage(ctx)
		require.NoError(t, err)
		pages++
		for _, v := range o.SecretValues {
			names = append(names, aws.ToString(v.Name))
		}
	}
	assert.Equal(t, 3, pages)
	require.Len(t, names, 25)
	assert.Equal(t, "batch/s00", names[0])

	var ip *smtypes.InvalidParameterException
	_, err = c.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{})
	require.ErrorAs(t, err, &ip)
	_, err = c.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{
		SecretIdList: []string{"other"},
		Filters:      []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{"x"}}},
	})
	require.ErrorAs(t, err, &ip)
	ids := make([]string, 21)
	for i := range ids {
		ids[i] = fmt.Sprintf("batch/s%02d", i)
	}
	_, err = c.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: ids})
	assert.Equal(t, "ValidationException", apiCode(t, err))

	// per-secret denial shows up in Errors; denying the batch call fails it
	s.Deny("GetSecretValue")
	out, err = c.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"other"}})
	require.NoError(t, err)
	assert.Empty(t, out.SecretValues)
	require.Len(t, out.Errors, 1)
	assert.Equal(t, "AccessDeniedException", aws.ToString(out.Errors[0].ErrorCode))
	s.Allow("GetSecretValue")

	s.Deny("BatchGetSecretValue")
	_, err = c.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"other"}})
	assert.Equal(t, "AccessDeniedException", apiCode(t, err))
	assert.Contains(t, err.Error(), "secretsmanager:BatchGetSecretValue")
	s.Allow("BatchGetSecretValue")
	_, err = c.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"other"}})
	require.NoError(t, err)
}

func TestSMListSecrets(t *testing.T) {
	s, cfg := newFake(t)
	c := secretsmanager.NewFromConfig(cfg)
	ctx := context.Background()
	for i := range 150 {
		s.PutSecretString(fmt.Sprintf("list/%03d", i), "v")
	}
	s.PutSecretString("Zeta", "z")

	out, err := c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
	require.NoError(t, err)
	assert.Len(t, out.SecretList, 100)
	require.NotNil(t, out.NextToken)
	assert.Equal(t, "Zeta", aws.ToString(out.SecretList[0].Name), "sorted by name, uppercase first")
	assert.Equal(t, "list/000", aws.ToString(out.SecretList[1].Name))
	assert.NotEmpty(t, aws.ToString(out.SecretList[1].ARN))
	out2, err := c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{NextToken: out.NextToken})
	require.NoError(t, err)
	assert.Len(t, out2.SecretList, 51)
	assert.Nil(t, out2.NextToken)

	// paginator with MaxResults and a name filter, as the library sends
	pg := secretsmanager.NewListSecretsPaginator(c, &secretsmanager.ListSecretsInput{
		MaxResults: aws.Int32(40),
		Filters:    []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{"list/1"}}},
	})
	n, pages := 0, 0
	for pg.HasMorePages() {
		o, err := pg.NextPage(ctx)
		require.NoError(t, err)
		n += len(o.SecretList)
		pages++
	}
	assert.Equal(t, 50, n)
	assert.Equal(t, 2, pages)

	// the name filter is a case-sensitive prefix match
	out, err = c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{"zeta"}}}})
	require.NoError(t, err)
	assert.Empty(t, out.SecretList)

	// what the library never sends is refused, not ignored
	_, err = c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeDescription, Values: []string{"x"}}}})
	assert.Equal(t, "ValidationException", apiCode(t, err))
	_, err = c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{"!list/"}}}})
	assert.Equal(t, "ValidationException", apiCode(t, err))

	_, err = c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(101)})
	assert.Equal(t, "ValidationException", apiCode(t, err))
	_, err = c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{NextToken: aws.String("junk")})
	var nt *smtypes.InvalidNextTokenException
	require.ErrorAs(t, err, &nt)
}

// ---------------------------------------------------------------- STS

func TestSTSAssumeRoleCredentialsUsed(t *testing.T) {
	s, cfg := newFake(t)
	ctx := context.Background()
	s.PutParameter(awsfake.Parameter{Name: "/p", Value: "v"})
	role := "arn:aws:iam::123456789012:role/path/deploy"

	prov := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), role, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "sess-1"
		o.ExternalID = aws.String("ext-id")
	})
	roleCfg := cfg.Copy()
	roleCfg.Credentials = aws.NewCredentialsCache(prov)
	c := ssm.NewFromConfig(roleCfg)

	_, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")})
	require.NoError(t, err)

	calls := s.AssumeRoleCalls()
	require.Len(t, calls, 1)
	assert.Equal(t, role, calls[0].RoleArn)
	assert.Equal(t, "sess-1", calls[0].RoleSessionName)
	assert.Equal(t, 900, calls[0].DurationSeconds)
	assert.Equal(t, "ext-id", calls[0].ExternalId)
	assert.Equal(t, awsfake.AccessKeyID, calls[0].CallerAccessKeyID)
	assert.WithinDuration(t, time.Now().Add(15*time.Minute), calls[0].Expiration, time.Minute)

	reqs := s.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "AssumeRole", reqs[0].Op)
	assert.Equal(t, "sts", reqs[0].Service)
	assert.Equal(t, awsfake.AccessKeyID, reqs[0].AccessKeyID)
	assert.Empty(t, reqs[0].SessionToken)
	assert.Equal(t, "GetParameter", reqs[1].Op)
	assert.Equal(t, calls[0].AccessKeyID, reqs[1].AccessKeyID)
	assert.True(t, strings.HasPrefix(reqs[1].AccessKeyID, "ASIAFAKE"))
	assert.NotEmpty(t, reqs[1].SessionToken)

	id, err := sts.NewFromConfig(roleCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/deploy/sess-1", aws.ToString(id.Arn))
	assert.Equal(t, "123456789012", aws.ToString(id.Account))
	assert.True(t, strings.HasSuffix(aws.ToString(id.UserId), ":sess-1"))

	id, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::123456789012:user/"+awsfake.AccessKeyID, aws.ToString(id.Arn))

	// Static credentials that the fake did not issue: the IAM user named
	// after the access key id, so other keys are another identity.
	other := cfg.Copy()
	other.Credentials = credentials.NewStaticCredentialsProvider("AKIDOTHER", "secret", "")
	id, err = sts.NewFromConfig(other).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:iam::123456789012:user/AKIDOTHER", aws.ToString(id.Arn))
	assert.Equal(t, "123456789012", aws.ToString(id.Account))
	assert.Equal(t, 3, s.Calls("GetCallerIdentity"), "GetCallerIdentity is counted like the other operations")
}

func TestSTSAssumeRoleDirect(t *testing.T) {
	s, cfg := newFake(t)
	c := sts.NewFromConfig(cfg)
	ctx := context.Background()
	role := "arn:aws:iam::123456789012:role/r"

	out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("s1")})
	require.NoError(t, err)
	cr := out.Credentials
	assert.Equal(t, "ASIAFAKE000000000001", aws.ToString(cr.AccessKeyId))
	assert.NotEmpty(t, aws.ToString(cr.SecretAccessKey))
	assert.NotEmpty(t, aws.ToString(cr.SessionToken))
	assert.WithinDuration(t, time.Now().Add(time.Hour), aws.ToTime(cr.Expiration), time.Minute)
	assert.Equal(t, "arn:aws:sts::123456789012:assumed-role/r/s1", aws.ToString(out.AssumedRoleUser.Arn))
	assert.True(t, strings.HasSuffix(aws.ToString(out.AssumedRoleUser.AssumedRoleId), ":s1"))
	assert.Equal(t, 0, s.AssumeRoleCalls()[0].DurationSeconds)

	out2, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(43200)})
	require.NoError(t, err)
	assert.NotEqual(t, aws.ToString(cr.AccessKeyId), aws.ToString(out2.Credentials.AccessKeyId))
	assert.WithinDuration(t, time.Now().Add(12*time.Hour), aws.ToTime(out2.Credentials.Expiration), time.Minute)

	s.SetCredentialLifetime(time.Second)
	before := time.Now()
	out3, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("s1")})
	after := time.Now()
	require.NoError(t, err)
	// Issued between before and after, for 1s (to the millisecond): however
	// long the call took.
	exp := aws.ToTime(out3.Credentials.Expiration)
	assert.False(t, exp.Before(before.Add(time.Second-time.Millisecond)), "expiration %v, call started %v", exp, before)
	assert.False(t, exp.After(after.Add(time.Second)), "expiration %v, call ended %v", exp, after)

	for _, in := range []*sts.AssumeRoleInput{
		{RoleArn: aws.String(role), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(899)},
		{RoleArn: aws.String(role), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(43201)},
		{RoleArn: aws.String("not-an-arn-but-long-enough"), RoleSessionName: aws.String("s1")},
		{RoleArn: aws.String(role), RoleSessionName: aws.String("bad name")},
	} {
		_, err = c.AssumeRole(ctx, in)
		assert.Equal(t, "ValidationError", apiCode(t, err))
	}
	assert.Len(t, s.AssumeRoleCalls(), 7)
	assert.Equal(t, 7, s.Calls("AssumeRole"))
}

func TestSTSShortLivedCredentialsRefresh(t *testing.T) {
	s, cfg := newFake(t)
	ctx := context.Background()
	// Short, but long enough that a request signed with fresh credentials
	// reaches the fake before they expire, also on a busy machine.
	const lifetime = 3 * time.Second
	s.SetCredentialLifetime(lifetime)
	s.PutParameter(awsfake.Parameter{Name: "/p", Value: "v"})
	prov := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), "arn:aws:iam::123456789012:role/r")
	roleCfg := cfg.Copy()
	roleCfg.Credentials = aws.NewCredentialsCache(prov)
	c := ssm.NewFromConfig(roleCfg)

	_, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")})
	require.NoError(t, err)

	// after the lifetime, the cache asks for new credentials
	time.Sleep(lifetime + 100*time.Millisecond)
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")})
	require.NoError(t, err)
	calls := s.AssumeRoleCalls()
	require.Len(t, calls, 2)
	assert.NotEqual(t, calls[0].AccessKeyID, calls[1].AccessKeyID)
	reqs := s.Requests()
	assert.Equal(t, calls[1].AccessKeyID, reqs[len(reqs)-1].AccessKeyID)
}

// ---------------------------------------------------------------- faults

func TestFaultThrottleThenSuccess(t *testing.T) {
	s, cfg := newFake(t)
	c := ssm.NewFromConfig(cfg)
	ctx := context.Background()
	s.PutParameter(awsfake.Parameter{Name: "/p", Value: "v"})

	s.FailNext("GetParameter", 2, awsfake.Throttling)
	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")})
	require.NoError(t, err)
	assert.Equal(t, "v", aws.ToString(out.Parameter.Value))
	assert.Equal(t, 3, s.Calls("GetParameter"))

	// more faults than attempts: the error surfaces, with its code
	s.ResetCalls()
	s.FailNext("GetParameter", 5, awsfake.Throttling)
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")})
	assert.Equal(t, "ThrottlingException", apiCode(t, err))
	assert.Equal(t, 3, s.Calls("GetParameter"))
	s.ResetCalls()
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")}) // 2 faults left
	require.NoError(t, err)
	assert.Equal(t, 3, s.Calls("GetParameter"))

	// 5xx retried; other ops unaffected by an op-specific fault
	s.ResetCalls()
	s.FailNext("GetParameter", 1, awsfake.InternalError)
	s.FailNext("GetParameter", 1, awsfake.ServiceUnavailable)
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")})
	require.NoError(t, err)
	assert.Equal(t, 3, s.Calls("GetParameter"))

	// non-retryable faults
	s.ResetCalls()
	s.FailNext("", 1, awsfake.ExpiredToken)
	_, err = c.DescribeParameters(ctx, &ssm.DescribeParametersInput{})
	assert.Equal(t, "ExpiredTokenException", apiCode(t, err))
	s.FailNext("", 1, awsfake.KMSAccessDenied)
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p"), WithDecryption: aws.Bool(true)})
	var ad *ssmtypes.AccessDeniedException
	require.ErrorAs(t, err, &ad)
	assert.Equal(t, 2, s.TotalCalls())

	sm := secretsmanager.NewFromConfig(cfg)
	s.PutSecretString("x", "y")
	s.FailNext("GetSecretValue", 1, awsfake.DecryptionFailure)
	_, err = sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("x")})
	var df *smtypes.DecryptionFailure
	require.ErrorAs(t, err, &df)
}

func TestFaultSTS(t *testing.T) {
	s, cfg := newFake(t)
	c := sts.NewFromConfig(cfg)
	ctx := context.Background()
	in := &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/r"), RoleSessionName: aws.String("s1")}

	s.FailNext("AssumeRole", 2, awsfake.Throttling)
	_, err := c.AssumeRole(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, 3, s.Calls("AssumeRole"))
	assert.Len(t, s.AssumeRoleCalls(), 1)

	s.FailNext("AssumeRole", 1, awsfake.ExpiredToken)
	_, err = c.AssumeRole(ctx, in)
	var et *ststypes.ExpiredTokenException
	require.ErrorAs(t, err, &et)

	s.Deny("AssumeRole")
	_, err = c.AssumeRole(ctx, in)
	assert.Equal(t, "AccessDenied", apiCode(t, err))
	s.Allow("AssumeRole")
	_, err = c.AssumeRole(ctx, in)
	require.NoError(t, err)
}

func TestFaultDrop(t *testing.T) {
	s, cfg := newFake(t)
	c := secretsmanager.NewFromConfig(cfg)
	ctx := context.Background()
	s.PutSecretString("x", "y")

	s.FailNext("GetSecretValue", 1, awsfake.Fault{Drop: true})
	out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("x")})
	require.NoError(t, err)
	assert.Equal(t, "y", aws.ToString(out.SecretString))
	assert.Equal(t, 2, s.Calls("GetSecretValue"))

	s.ResetCalls()
	s.FailNext("GetSecretValue", 3, awsfake.Fault{Drop: true})
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("x")})
	require.Error(t, err)
	var ae smithy.APIError
	assert.False(t, errors.As(err, &ae), "a dropped connection is not an API error: %v", err)
	assert.Equal(t, 3, s.Calls("GetSecretValue"))
}

func TestFaultDelay(t *testing.T) {
	s, cfg := newFake(t)
	c := ssm.NewFromConfig(cfg)
	s.PutParameter(awsfake.Parameter{Name: "/p", Value: "v"})

	// a short delay answers normally
	s.FailNext("GetParameter", 1, awsfake.Fault{Delay: 50 * time.Millisecond})
	start := time.Now()
	_, err := c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/p")})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)

	// a long delay runs into the client's deadline; the server stops waiting
	// (an error at all shows it: after the delay the answer would be normal)
	s.FailNext("GetParameter", 1, awsfake.Fault{Delay: 10 * time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	// the delay does not block other requests
	s.FailNext("DescribeParameters", 1, awsfake.Fault{Delay: 10 * time.Minute})
	ctx2, cancel2 := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = c.DescribeParameters(ctx2, &ssm.DescribeParametersInput{})
	}()
	require.Eventually(t, func() bool { return s.Calls("DescribeParameters") == 1 }, time.Minute, 5*time.Millisecond)
	_, err = c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/p")})
	require.NoError(t, err)
	cancel2()
	<-done

	// delay then error
	s.FailNext("GetParameter", 1, awsfake.Fault{Delay: 10 * time.Millisecond, Code: "AccessDeniedException", Message: "no"})
	_, err = c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/p")})
	assert.Equal(t, "AccessDeniedException", apiCode(t, err))
}

// StallBody sends the headers and part of the body, then nothing until
// the client gives up: the client sees status 200 and a body that never
// ends.
func TestFaultStallBody(t *testing.T) {
	s, _ := newFake(t)
	s.PutParameter(awsfake.Parameter{Name: "/p", Value: "v"})
	s.FailNext("GetParameter", 1, awsfake.Fault{StallBody: true})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL(), strings.NewReader(`{"Name":"/p"}`))
	require.NoError(t, err)
	req.Header.Set("X-Amz-Target", "AmazonSSM.GetParameter")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "the headers arrive")
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	require.Positive(t, resp.ContentLength)
	part := make([]byte, resp.ContentLength)
	n, err := io.ReadAtLeast(resp.Body, part, 1)
	require.NoError(t, err, "part of the body arrives")
	assert.Less(t, int64(n), resp.ContentLength)

	// The rest never comes: a read waits until the request is cancelled.
	done := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(resp.Body)
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the body ended: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	select {
	case err := <-done:
		assert.Error(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the read did not end when the request was cancelled")
	}
	assert.Equal(t, 1, s.Calls("GetParameter"))

	// The next request is answered whole.
	out, err := ssm.NewFromConfig(s.Config(context.Background())).GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/p")})
	require.NoError(t, err)
	assert.Equal(t, "v", aws.ToString(out.Parameter.Value))
}

func TestDenyAllowAndHook(t *testing.T) {
	s, cfg := newFake(t)
	c := ssm.NewFromConfig(cfg)
	ctx := context.Background()
	s.PutParameter(awsfake.Parameter{Name: "/p", Value: "v"})

	s.Deny("GetParameter")
	for range 2 {
		_, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")})
		var ad *ssmtypes.AccessDeniedException
		require.ErrorAs(t, err, &ad)
		assert.Contains(t, err.Error(), "ssm:GetParameter")
	}
	_, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/p"}})
	require.NoError(t, err)
	s.Allow("GetParameter")
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")})
	require.NoError(t, err)

	var mu sync.Mutex
	var seen []string
	s.SetHook(func(r awsfake.Request) *awsfake.Fault {
		mu.Lock()
		seen = append(seen, r.Op)
		mu.Unlock()
		if r.Op == "GetParameters" {
			_ = s.Calls(r.Op) // hooks may call back into the server
			return &awsfake.Fault{Code: "InvalidKeyId", Message: "bad key"}
		}
		return nil
	})
	_, err = c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/p"}})
	var ik *ssmtypes.InvalidKeyId
	require.ErrorAs(t, err, &ik)
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")})
	require.NoError(t, err)
	s.SetHook(nil)
	_, err = c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/p"}})
	require.NoError(t, err)
	mu.Lock()
	assert.Equal(t, []string{"GetParameters", "GetParameter"}, seen)
	mu.Unlock()
}

func TestRecordingAndDefaultConfig(t *testing.T) {
	s := awsfake.New()
	defer s.Close()
	cfg := s.Config(context.Background()) // default retryer
	assert.Equal(t, "us-east-1", cfg.Region)
	assert.Equal(t, s.URL(), aws.ToString(cfg.BaseEndpoint))
	ctx := context.Background()
	s.PutParameter(awsfake.Parameter{Name: "/p", Value: "v"})
	s.PutSecretString("x", "y")
	assert.Equal(t, 0, s.TotalCalls(), "seeding is not counted")

	_, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p")})
	require.NoError(t, err)
	_, err = secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("x")})
	require.NoError(t, err)
	reqs := s.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "GetParameter", reqs[0].Op)
	assert.Equal(t, "ssm", reqs[0].Service)
	assert.Equal(t, "GetSecretValue", reqs[1].Op)
	assert.Equal(t, "secretsmanager", reqs[1].Service)
	for _, r := range reqs {
		assert.Equal(t, "AKIDFAKE", r.AccessKeyID)
		assert.Empty(t, r.SessionToken)
		assert.False(t, r.Time.IsZero())
	}
	assert.Equal(t, 2, s.TotalCalls())
	s.ResetCalls()
	assert.Equal(t, 0, s.TotalCalls())
	assert.Equal(t, 0, s.Calls("GetParameter"))
	assert.Empty(t, s.Requests())
}

func TestRawProtocolErrors(t *testing.T) {
	s := awsfake.New()
	defer s.Close()

	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/", strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "AmazonSSM.NoSuchOp")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 400, resp.StatusCode)
	assert.Equal(t, "UnknownOperationException", resp.Header.Get("X-Amzn-ErrorType"))
	assert.Contains(t, string(body), `"__type":"UnknownOperationException"`)
	assert.Equal(t, "application/x-amz-json-1.1", resp.Header.Get("Content-Type"))

	resp, err = http.PostForm(s.URL()+"/", url.Values{"Action": {"Nope"}, "Version": {"2011-06-15"}})
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 400, resp.StatusCode)
	assert.Contains(t, string(body), "<Code>InvalidAction</Code>")
	assert.Contains(t, string(body), `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">`)
	assert.Equal(t, 1, s.Calls("Nope"))
}

func TestConcurrentUse(t *testing.T) {
	s, cfg := newFake(t)
	c := ssm.NewFromConfig(cfg)
	sm := secretsmanager.NewFromConfig(cfg)
	ctx := context.Background()
	s.PutSecretString("shared", "0")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				name := fmt.Sprintf("/c/%d/%d", g, i)
				s.PutParameter(awsfake.Parameter{Name: name, Value: "v"})
				_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String("w"), Overwrite: aws.Bool(true)})
				assert.NoError(t, err)
				_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
				assert.NoError(t, err)
				_, err = sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("shared"), SecretString: aws.String(name)})
				assert.NoError(t, err)
				_ = s.Calls("GetParameter")
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 80, s.Calls("PutParameter"))
	out, err := c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/c"), Recursive: aws.Bool(true)})
	require.NoError(t, err)
	assert.Len(t, out.Parameters, 10)
	assert.NotNil(t, out.NextToken)
}
