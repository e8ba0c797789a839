package agent_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storeCall sends one JSON 1.1 request to the store at url, as the SDK
// does, and returns its decoded answer.
func storeCall(t *testing.T, url, target, body string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDFAKE/20250101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=0")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func jsonBody(t *testing.T, v map[string]any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// TestSameJSONAsStore: the compatible endpoints answer the fields and
// values of the store's own GetSecretValue and GetParameter answers, for
// the same secret, exactly.
func TestSameJSONAsStore(t *testing.T) {
	fx := newFixture(t, nil)
	require.True(t, fx.fake.LabelParameterVersion("/app/plain", 1, "first"))
	for _, tc := range []struct {
		path string
		req  map[string]any
	}{
		{"/secretsmanager/get?secretId=app/db", map[string]any{"SecretId": "app/db"}},
		{"/v1/app/db", map[string]any{"SecretId": "app/db"}},
		{"/secretsmanager/get?secretId=app/db&versionStage=AWSPREVIOUS", map[string]any{"SecretId": "app/db", "VersionStage": "AWSPREVIOUS"}},
		{"/secretsmanager/get?secretId=app/bin", map[string]any{"SecretId": "app/bin"}},
		{"/secretsmanager/get?secretId=app/json&refreshNow=true", map[string]any{"SecretId": "app/json"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			want := storeCall(t, fx.fake.URL(), "secretsmanager.GetSecretValue", jsonBody(t, tc.req))
			a := fx.get(t, tc.path)
			require.Equal(t, http.StatusOK, a.status, a.body)
			assert.Equal(t, want, a.json(t))
			for _, k := range []string{"ARN", "Name", "VersionId", "VersionStages", "CreatedDate"} {
				assert.Contains(t, want, k, "the store says %s, so the comparison covers it", k)
			}
			if id, ok := want["VersionId"].(string); ok { // the same version by id
				a := fx.get(t, "/secretsmanager/get?secretId="+tc.req["SecretId"].(string)+"&versionId="+id)
				assert.Equal(t, want, a.json(t))
			}
		})
	}
	for _, tc := range []struct {
		path string
		req  map[string]any
	}{
		{"/systemsmanager/parameters/get?name=/app/plain", map[string]any{"Name": "/app/plain"}},
		{"/systemsmanager/parameters/get?name=/app/secure", map[string]any{"Name": "/app/secure"}},
		{"/systemsmanager/parameters/get?name=/app/secure&withDecryption=true", map[string]any{"Name": "/app/secure", "WithDecryption": true}},
		{"/systemsmanager/parameters/get?name=/app/plain&version=1", map[string]any{"Name": "/app/plain:1"}},
		{"/systemsmanager/parameters/get?name=/app/plain&label=first", map[string]any{"Name": "/app/plain:first"}},
		{"/systemsmanager/parameters/get?name=/aws/reference/secretsmanager/app/db&withDecryption=true",
			map[string]any{"Name": "/aws/reference/secretsmanager/app/db", "WithDecryption": true}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			want := storeCall(t, fx.fake.URL(), "AmazonSSM.GetParameter", jsonBody(t, tc.req))
			a := fx.get(t, tc.path)
			require.Equal(t, http.StatusOK, a.status, a.body)
			assert.Equal(t, want, a.json(t))
			p := want["Parameter"].(map[string]any)
			for _, k := range []string{"ARN", "DataType", "LastModifiedDate", "Name", "Type", "Value", "Version"} {
				assert.Contains(t, p, k, "the store says %s, so the comparison covers it", k)
			}
		})
	}
}
