package aws_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/awsfake"
	"github.com/s1crets/s1crets/internal/obstest"
)

// TestObserveAWSErrorKinds: the AWS stores tell throttling, denial,
// not-found and server errors apart in Stats and events, and count the
// attempts of each call.
func TestObserveAWSErrorKinds(t *testing.T) {
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/o/a", Value: "v", Type: "String"})
	rec := &obstest.Recorder{}
	p := newPS(t, f, s1crets.Retry(3), s1crets.Observe(rec))

	_, err := p.Get(ctx, "/o/a")
	require.NoError(t, err)
	f.FailNext("GetParameter", 3, awsfake.Throttling)
	_, err = p.Get(ctx, "/o/a", s1crets.NoCache())
	require.Error(t, err)
	f.FailNext("GetParameter", 1, awsfake.AccessDenied)
	_, err = p.Get(ctx, "/o/a", s1crets.NoCache())
	require.Error(t, err)
	f.FailNext("GetParameter", 3, awsfake.InternalError)
	_, err = p.Get(ctx, "/o/a", s1crets.NoCache())
	require.Error(t, err)
	_, err = p.Get(ctx, "/o/missing")
	require.ErrorIs(t, err, s1crets.ErrNotFound)
	f.FailNext("GetParameter", 1, awsfake.Throttling)
	_, err = p.Get(ctx, "/o/a", s1crets.NoCache())
	require.NoError(t, err, "the second attempt succeeds")

	st := p.Stats()
	assert.Equal(t, s1crets.CallStats{Get: 6}, st.Calls)
	assert.Equal(t, s1crets.ErrorStats{Throttled: 1, Denied: 1, Network: 1, NotFound: 1}, st.Errors)

	var calls []string
	var attempts []int
	for _, e := range rec.Events() {
		if e.Kind == s1crets.EventCall {
			calls = append(calls, e.Outcome.String())
			attempts = append(attempts, e.Attempts)
		}
	}
	assert.Equal(t, []string{"ok", "throttled", "denied", "network", "not_found", "ok"}, calls)
	assert.Equal(t, []int{1, 3, 1, 3, 1, 2}, attempts, "each HTTP request is an attempt")
}
