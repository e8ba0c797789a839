package agent_test

// Integration: the compatible endpoints against moto (an emulator nobody
// here wrote) answer the same fields and values as moto's own
// GetSecretValue and GetParameter for the same secret. Skipped unless
// S1CRETS_TEST_MOTO_URL is set; scripts/integration.sh sets it.

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets/internal/agent"
	"github.com/s1crets/s1crets/internal/parity/motoenv"
	"github.com/s1crets/s1crets/providers/aws"
)

// motoCall sends one JSON 1.1 request to moto in account and returns the
// decoded answer, as moto wrote it.
func motoCall(t *testing.T, url, account, target string, body map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(string(b)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("x-moto-account-id", account)
	service := "secretsmanager"
	if strings.HasPrefix(target, "AmazonSSM.") {
		service = "ssm"
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20250101/"+motoenv.Region+"/"+service+
		"/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", out)
	var m map[string]any
	require.NoError(t, json.Unmarshal(out, &m))
	return m
}

func TestIntegrationServeMatchesMoto(t *testing.T) {
	url := motoenv.URL(t)
	account := motoenv.NewAccount()
	cfg := motoenv.Config(url, &motoenv.Counter{Account: account})
	smc, ssmc := secretsmanager.NewFromConfig(cfg), ssm.NewFromConfig(cfg)
	sfx := motoenv.RandomSuffix()
	strName, binName := "serve/str-"+sfx, "serve/bin-"+sfx
	require.NoError(t, motoenv.CreateSecret(ctx, smc, &secretsmanager.CreateSecretInput{Name: &strName, SecretString: awssdk.String(`{"pw":"moto-secret"}`)}))
	require.NoError(t, motoenv.CreateSecret(ctx, smc, &secretsmanager.CreateSecretInput{Name: &binName, SecretBinary: []byte{0, 1, 2, 0xff}}))
	plain, secure := "/serve/"+sfx+"/plain", "/serve/"+sfx+"/secure"
	require.NoError(t, motoenv.PutParameter(ctx, ssmc, &ssm.PutParameterInput{Name: &plain, Value: awssdk.String("plain-value"), Type: ssmtypes.ParameterTypeString}))
	require.NoError(t, motoenv.PutParameter(ctx, ssmc, &ssm.PutParameterInput{Name: &secure, Value: awssdk.String("secure-value"), Type: ssmtypes.ParameterTypeSecureString}))

	sm, err := aws.NewSecretsManager(ctx, aws.WithConfig(motoenv.Config(url, &motoenv.Counter{Account: account})))
	require.NoError(t, err)
	defer sm.Close()
	ps, err := aws.NewParameterStore(ctx, aws.WithConfig(motoenv.Config(url, &motoenv.Counter{Account: account})))
	require.NoError(t, err)
	defer ps.Close()
	_, u := serve(t, agent.Config{SecretsManager: sm, ParameterStore: ps, Token: token, Logger: discard()})
	fx := &fixture{url: u}

	for _, name := range []string{strName, binName} {
		t.Run(name, func(t *testing.T) {
			want := motoCall(t, url, account, "secretsmanager.GetSecretValue", map[string]any{"SecretId": name})
			a := fx.get(t, "/secretsmanager/get?secretId="+name)
			require.Equal(t, http.StatusOK, a.status, a.body)
			assert.Equal(t, want, a.json(t))
			for _, k := range []string{"ARN", "Name", "VersionId", "VersionStages", "CreatedDate"} {
				assert.Contains(t, want, k)
			}
		})
	}
	for _, tc := range []struct {
		path string
		req  map[string]any
	}{
		{"/systemsmanager/parameters/get?name=" + plain, map[string]any{"Name": plain}},
		{"/systemsmanager/parameters/get?name=" + secure + "&withDecryption=true", map[string]any{"Name": secure, "WithDecryption": true}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			want := motoCall(t, url, account, "AmazonSSM.GetParameter", tc.req)
			a := fx.get(t, tc.path)
			require.Equal(t, http.StatusOK, a.status, a.body)
			assert.Equal(t, want, a.json(t))
			p := want["Parameter"].(map[string]any)
			for _, k := range []string{"ARN", "DataType", "LastModifiedDate", "Name", "Type", "Value", "Version"} {
				assert.Contains(t, p, k)
			}
		})
	}
	// The store's status is passed on: moto quirk, 404 where AWS answers 400.
	a := fx.get(t, "/secretsmanager/get?secretId=serve/missing-"+sfx)
	assert.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound}, a.status)
	assert.Equal(t, "ResourceNotFoundException", a.json(t)["__type"])
	a = fx.get(t, "/systemsmanager/parameters/get?name=/serve/missing-"+sfx)
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, "ParameterNotFound", a.json(t)["__type"])
}
