package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets/internal/awsfake"
)

// verboseLines returns the --verbose lines of stderr with the durations
// masked, and the other lines.
func verboseLines(stderr string) (verbose, other []string) {
	ms := regexp.MustCompile(`in [0-9]+\.[0-9]ms`)
	for _, l := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		switch {
		case l == "":
		case strings.HasPrefix(l, "s1crets: verbose: "):
			verbose = append(verbose, ms.ReplaceAllString(strings.TrimPrefix(l, "s1crets: verbose: "), "in Nms"))
		default:
			other = append(other, l)
		}
	}
	return verbose, other
}

// TestVerbose: --verbose tells on stderr where each value came from, how
// long it took and how many attempts it made; stdout is unchanged and no
// value is ever printed on stderr.
func TestVerbose(t *testing.T) {
	f := newFake(t)
	seedSM(f)
	f.PutParameter(awsfake.Parameter{Name: "/app/db/user", Value: "admin-user"})
	f.PutParameter(awsfake.Parameter{Name: "/app/db/password", Value: "pa55word", Type: "SecureString"})

	for _, tc := range []struct {
		args    []string
		stdout  string
		verbose []string
		code    int
	}{
		{[]string{"get", "--verbose", "app/plain"}, "hunter2\n",
			[]string{`get "app/plain" from store in Nms (1 attempt)`}, 0},
		{[]string{"get", "app/json", "user", "--verbose"}, "admin\n",
			[]string{`get "app/json" from store in Nms (1 attempt)`}, 0},
		{[]string{"get", "--provider", "aws.ps", "--verbose", "/app/db/password"}, "pa55word\n",
			[]string{`get "/app/db/password" from store in Nms (1 attempt)`}, 0},
		{[]string{"get", "--verbose", "app/nope"}, "",
			[]string{`get "app/nope" from store in Nms (1 attempt): not_found`}, exitNotFound},
		{[]string{"get-by-path", "--provider", "aws.ps", "--verbose", "/app/db"}, "/app/db/password pa55word\n/app/db/user admin-user\n",
			[]string{`get-by-path "/app/db" from store in Nms (1 attempt)`}, 0},
		{[]string{"exists", "--provider", "aws.ps", "--verbose", "/app/db"}, "",
			[]string{`path-exists "/app/db" from store in Nms (1 attempt)`}, 0},
		{[]string{"update", "--verbose", "app/plain", "n3w-value"}, "",
			[]string{`update "app/plain" at store in Nms`}, 0},
		{[]string{"get", "--verbose", "app/plain"}, "n3w-value\n",
			[]string{`get "app/plain" from store in Nms (1 attempt)`}, 0},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := cli(t, "", tc.args...)
			require.Equal(t, tc.code, r.code, "stderr: %s", r.stderr)
			assert.Equal(t, tc.stdout, r.stdout)
			verbose, other := verboseLines(r.stderr)
			assert.Equal(t, tc.verbose, verbose)
			if tc.code == 0 {
				assert.Empty(t, other)
			}
			for _, secret := range []string{"hunter2", "admin", "pa55word", "n3w-value"} {
				assert.NotContains(t, r.stderr, secret, "stderr shows a value")
			}
		})
	}

	// Retries are told.
	f.FailNext("GetSecretValue", 1, awsfake.Throttling)
	r := cli(t, "", "get", "--verbose", "app/json", "port")
	require.Equal(t, 0, r.code, r.stderr)
	verbose, _ := verboseLines(r.stderr)
	assert.Equal(t, []string{`get "app/json" from store in Nms (2 attempts)`}, verbose)

	// Without --verbose, nothing on stderr.
	assert.Equal(t, "admin\n", ok(t, cli(t, "", "get", "app/json", "user")))
}
