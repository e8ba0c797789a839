package aws_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/awsfake"
	"github.com/s1crets/s1crets/providers/aws"
)

// TestWithEndpoint: every call goes to the endpoint of WithEndpoint, over
// the global and the service-specific endpoint variables, the assumed
// role's STS calls too.
func TestWithEndpoint(t *testing.T) {
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/e/p", Value: "ps"})
	f.PutSecretString("e/s", "sm")
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL_STS"} {
		t.Setenv(k, "http://127.0.0.1:1") // nothing listens
	}
	ps, err := aws.NewParameterStore(ctx, aws.WithEndpoint(f.URL()), s1crets.Retry(1))
	require.NoError(t, err)
	closeAtEnd(t, ps)
	v, err := ps.Get(ctx, "/e/p")
	require.NoError(t, err)
	assert.Equal(t, "ps", v.Text())
	sm, err := aws.NewSecretsManager(ctx, aws.WithEndpoint(f.URL()), s1crets.Retry(1), aws.WithAssumeRole(roleARN, ""))
	require.NoError(t, err)
	closeAtEnd(t, sm)
	v, err = sm.Get(ctx, "e/s")
	require.NoError(t, err)
	assert.Equal(t, "sm", v.Text())
	assert.Equal(t, 1, f.Calls("AssumeRole"))
}

// TestWithProfile: WithProfile reads the region and the credentials of
// that profile, as AWS_PROFILE would.
func TestWithProfile(t *testing.T) {
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/pr/p", Value: "v"})
	dir := t.TempDir()
	cfgFile, credFile := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	require.NoError(t, os.WriteFile(cfgFile, []byte("[profile other]\nregion = eu-west-2\n"), 0o600))
	require.NoError(t, os.WriteFile(credFile, []byte("[other]\naws_access_key_id = AKIDOTHER\naws_secret_access_key = x\n"), 0o600))
	t.Setenv("AWS_CONFIG_FILE", cfgFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credFile)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	p, err := aws.NewParameterStore(ctx, aws.WithProfile("other"), aws.WithEndpoint(f.URL()))
	require.NoError(t, err)
	closeAtEnd(t, p)
	_, err = p.Get(ctx, "/pr/p")
	require.NoError(t, err)
	reqs := f.Requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "eu-west-2", reqs[0].Region)
	assert.Equal(t, "AKIDOTHER", reqs[0].AccessKeyID)

	_, err = aws.NewParameterStore(ctx, aws.WithProfile("nosuch"), aws.WithEndpoint(f.URL()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nosuch")
}

func TestProfileAndEndpointBadOptions(t *testing.T) {
	for _, opts := range [][]aws.Option{
		{aws.WithProfile("")},
		{aws.WithEndpoint("")},
		{aws.WithEndpoint("127.0.0.1:4566")},
		{aws.WithEndpoint("ftp://host")},
		{aws.WithProfile("p"), aws.WithConfig(newFake(t).Config(ctx))},
	} {
		_, err := aws.NewSecretsManager(ctx, opts...)
		require.Error(t, err)
		assert.ErrorIs(t, err, s1crets.ErrInvalid)
	}
}
