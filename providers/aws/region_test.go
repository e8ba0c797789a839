package aws_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets/providers/aws"
)

// captureStderr runs f with os.Stderr redirected and returns what was
// written there (the SDK's default logger writes to os.Stderr).
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	old := os.Stderr
	os.Stderr = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	defer func() { os.Stderr = old }()
	f()
	os.Stderr = old
	require.NoError(t, w.Close())
	return <-done
}

// imdsServer is an instance metadata endpoint that counts requests and
// refuses them all as IMDSv2 refuses a missing token (403).
func imdsServer(t *testing.T) *atomic.Int64 {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		http.Error(w, "forbidden", http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", srv.URL)
	t.Setenv("AWS_REGION", "")
	return &n
}

// TestRegionIMDSDisabled: with AWS_EC2_METADATA_DISABLED=true and no
// region anywhere, the constructors ask the metadata service nothing,
// print nothing, and fail with ErrNoRegion saying why.
func TestRegionIMDSDisabled(t *testing.T) {
	calls := imdsServer(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	var errs []error
	out := captureStderr(t, func() {
		_, err := aws.NewParameterStore(ctx)
		errs = append(errs, err)
		_, err = aws.NewSecretsManager(ctx)
		errs = append(errs, err)
	})
	for _, err := range errs {
		require.ErrorIs(t, err, aws.ErrNoRegion)
		assert.Contains(t, err.Error(), "no AWS region: set AWS_REGION, a region in the shared config file, or the option aws.WithRegion")
		assert.Contains(t, err.Error(), "AWS_EC2_METADATA_DISABLED is true")
		assert.NotContains(t, err.Error(), "\n")
	}
	assert.Zero(t, calls.Load(), "no request to the instance metadata service")
	assert.Empty(t, out, "nothing on stderr")
}

// TestRegionIMDSRefused: the metadata service asked and refusing makes a
// clear ErrNoRegion error, and the SDK's warning about falling back to
// IMDSv1 is not printed.
func TestRegionIMDSRefused(t *testing.T) {
	calls := imdsServer(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	var err error
	out := captureStderr(t, func() { _, err = aws.NewParameterStore(ctx) })
	require.ErrorIs(t, err, aws.ErrNoRegion)
	assert.Contains(t, err.Error(), "the EC2 instance metadata service gave none")
	assert.Positive(t, calls.Load(), "the metadata service was asked")
	assert.Empty(t, out, "nothing on stderr")
	assert.False(t, strings.Contains(err.Error(), "\n"))
}
