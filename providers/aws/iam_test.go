package aws_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/awsfake"
	"github.com/s1crets/s1crets/providers/aws"
)

// iamAction is the IAM action that authorizes each AWS operation the
// library sends.
var iamAction = map[string]string{
	"GetParameter":        "ssm:GetParameter",
	"GetParameters":       "ssm:GetParameters",
	"GetParametersByPath": "ssm:GetParametersByPath",
	"DescribeParameters":  "ssm:DescribeParameters",
	"PutParameter":        "ssm:PutParameter",
	"GetSecretValue":      "secretsmanager:GetSecretValue",
	"BatchGetSecretValue": "secretsmanager:BatchGetSecretValue",
	"ListSecrets":         "secretsmanager:ListSecrets",
	"PutSecretValue":      "secretsmanager:PutSecretValue",
	"AssumeRole":          "sts:AssumeRole",
	"GetCallerIdentity":   "sts:GetCallerIdentity",
}

// iamScenario runs one operation on a fresh fake AWS and provider, the way
// a user would; the actions of the calls it made are its row's cell.
type iamScenario struct {
	row, store string // the README table's operation and column
	run        func(t *testing.T, f *awsfake.Server)
}

// iamSeed is the fake's content for every scenario.
func iamSeed(f *awsfake.Server) {
	f.PutParameter(awsfake.Parameter{Name: "/app/p", Value: `{"k":"v"}`, Type: "SecureString"})
	f.PutParameter(awsfake.Parameter{Name: "/app/q", Value: "q"})
	f.PutSecretString("app/s", `{"k":"v"}`)
	f.PutSecretString("app/t", "t")
}

const iamRef = aws.ReferencePrefix + "app/s"

var iamScenarios = []iamScenario{
	{"Get", "ps", func(t *testing.T, f *awsfake.Server) { must(t)(newPS(t, f).Get(ctx, "/app/p")) }},
	{"Get", "ps", func(t *testing.T, f *awsfake.Server) { must(t)(newPS(t, f).Get(ctx, iamRef+"/k")) }},
	{"Get", "sm", func(t *testing.T, f *awsfake.Server) { must(t)(newSM(t, f).Get(ctx, "app/s", s1crets.KeyPath("k"))) }},
	{"GetByPath", "ps", func(t *testing.T, f *awsfake.Server) { must(t)(newPS(t, f).GetByPath(ctx, "/app")) }},
	{"GetByPath", "sm", func(t *testing.T, f *awsfake.Server) { must(t)(newSM(t, f).GetByPath(ctx, "app/")) }},
	{"GetByPath", "sm", func(t *testing.T, f *awsfake.Server) {
		f.Deny("BatchGetSecretValue")
		must(t)(newSM(t, f).GetByPath(ctx, "app/"))
	}},
	{"GetMany", "ps", func(t *testing.T, f *awsfake.Server) {
		must(t)(newPS(t, f).GetMany(ctx, []string{"/app/p", "/app/q", iamRef}))
	}},
	{"GetMany", "sm", func(t *testing.T, f *awsfake.Server) { must(t)(newSM(t, f).GetMany(ctx, []string{"app/s", "app/t"})) }},
	{"GetMany", "sm", func(t *testing.T, f *awsfake.Server) {
		must(t)(newSM(t, f).GetMany(ctx, []string{"app/s"}, s1crets.VersionStage("AWSCURRENT")))
	}},
	{"GetMany", "sm", func(t *testing.T, f *awsfake.Server) {
		f.Deny("BatchGetSecretValue")
		must(t)(newSM(t, f).GetMany(ctx, []string{"app/s", "app/t"}))
	}},
	{"PathExists", "ps", func(t *testing.T, f *awsfake.Server) { must(t)(newPS(t, f).PathExists(ctx, "/app")) }},
	{"PathExists", "ps", func(t *testing.T, f *awsfake.Server) {
		must(t)(newPS(t, f).PathExists(ctx, "/app/p", s1crets.KeyPath("k")))
	}},
	{"PathExists", "ps", func(t *testing.T, f *awsfake.Server) { must(t)(newPS(t, f).PathExists(ctx, iamRef)) }},
	{"PathExists", "sm", func(t *testing.T, f *awsfake.Server) { must(t)(newSM(t, f).PathExists(ctx, "app/s")) }},
	{"Update", "ps", func(t *testing.T, f *awsfake.Server) { require.NoError(t, newPS(t, f).Update(ctx, "/app/p", "n")) }},
	{"Update", "sm", func(t *testing.T, f *awsfake.Server) { require.NoError(t, newSM(t, f).Update(ctx, "app/s", "n")) }},
	{"assume role", "ps", func(t *testing.T, f *awsfake.Server) {
		must(t)(newPS(t, f, aws.WithAssumeRole(roleARN, "")).Get(ctx, "/app/p"))
	}},
	{"assume role", "sm", func(t *testing.T, f *awsfake.Server) {
		must(t)(newSM(t, f, aws.WithAssumeRole(roleARN, "")).Get(ctx, "app/s"))
	}},
	{"a disk or Redis tier", "ps", func(t *testing.T, f *awsfake.Server) {
		must(t)(newPS(t, f, s1crets.Cache(diskCache(t))).Get(ctx, "/app/p"))
	}},
	{"a disk or Redis tier", "sm", func(t *testing.T, f *awsfake.Server) {
		must(t)(newSM(t, f, s1crets.Cache(diskCache(t))).Get(ctx, "app/s"))
	}},
}

// must fails the test when the second result is a non-nil error.
func must(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		require.NoError(t, err)
	}
}

// iamOnly are the actions that AWS checks itself on the caller's behalf,
// for a call the library does not make: a Parameter Store reference reads
// the Secrets Manager secret. They are in the table, and no scenario can
// observe them.
var iamOnly = map[string][]string{
	"Get/ps":        {"secretsmanager:GetSecretValue"},
	"GetMany/ps":    {"secretsmanager:GetSecretValue"},
	"PathExists/ps": {"secretsmanager:GetSecretValue"},
}

// iamImplied are actions that AWS checks for a call besides the call's own:
// BatchGetSecretValue checks GetSecretValue on each secret, and with a
// name filter (GetByPath) ListSecrets too.
func iamImplied(row, op string) []string {
	if op != "BatchGetSecretValue" {
		return nil
	}
	if row == "GetByPath" {
		return []string{"secretsmanager:GetSecretValue", "secretsmanager:ListSecrets"}
	}
	return []string{"secretsmanager:GetSecretValue"}
}

// readIAMTable parses the README's IAM permissions table: row -> store ->
// the actions named in the cell (kms actions left out: the fake has no
// KMS).
func readIAMTable(t *testing.T) map[string]map[string][]string {
	b, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	s := string(b)
	i := strings.Index(s, "### IAM permissions")
	require.GreaterOrEqual(t, i, 0, "README has an IAM permissions section")
	s = s[i:]
	action := regexp.MustCompile("`((?:ssm|secretsmanager|sts):[A-Za-z]+)`")
	table := map[string]map[string][]string{}
	for _, line := range strings.Split(s, "\n")[1:] {
		if strings.HasPrefix(line, "#") {
			break
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 3 || cells[0] == "operation" || strings.HasPrefix(cells[0], "---") {
			continue
		}
		row := map[string][]string{}
		for j, store := range []string{"ps", "sm"} {
			cell := cells[j+1]
			if cell == "same" {
				cell = cells[1]
			}
			for _, m := range action.FindAllStringSubmatch(cell, -1) {
				if !slices.Contains(row[store], m[1]) {
					row[store] = append(row[store], m[1])
				}
			}
			slices.Sort(row[store])
		}
		table[cells[0]] = row
	}
	return table
}

// TestIAMTable: the README's IAM table names exactly the actions of the
// calls that each operation makes. Every call a scenario makes needs an
// action of its row, and every action of a row is needed by a scenario
// (or is one that AWS checks itself, iamOnly), so the table cannot drift
// from the code.
func TestIAMTable(t *testing.T) {
	table := readIAMTable(t)
	seen := map[string]map[string][]string{}
	for _, sc := range iamScenarios {
		f := newFake(t)
		iamSeed(f)
		sc.run(t, f)
		if seen[sc.row] == nil {
			seen[sc.row] = map[string][]string{}
		}
		for _, r := range f.Requests() {
			act, ok := iamAction[r.Op]
			require.True(t, ok, "the library sent %s, which iamAction does not know", r.Op)
			stsRow := strings.HasPrefix(act, "sts:")
			if stsRow != (sc.row == "assume role" || sc.row == "a disk or Redis tier") {
				continue // a row of STS calls is about those only, and the others are not about them
			}
			for _, a := range append([]string{act}, iamImplied(sc.row, r.Op)...) {
				if !slices.Contains(seen[sc.row][sc.store], a) {
					seen[sc.row][sc.store] = append(seen[sc.row][sc.store], a)
				}
			}
		}
	}
	require.NotEmpty(t, table)
	for row, stores := range seen {
		require.Contains(t, table, row, "README IAM table: no row %q", row)
		for store, actions := range stores {
			slices.Sort(actions)
			want := slices.Clone(actions)
			for _, a := range iamOnly[row+"/"+store] {
				if !slices.Contains(want, a) {
					want = append(want, a)
				}
			}
			slices.Sort(want)
			assert.Equal(t, want, table[row][store], "README IAM table, row %q, %s column: the calls made need %v", row, store, actions)
		}
	}
	for row := range table {
		assert.Contains(t, seen, row, "README IAM table: row %q has no scenario here", row)
	}
}
