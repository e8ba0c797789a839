package parity

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README shows the table of differences.md between these markers.
const (
	readmeStart = "<!-- differences:start -->"
	readmeEnd   = "<!-- differences:end -->"
)

type row struct {
	id   string
	line string
}

// tableLines returns the lines of the Markdown table in text: its header,
// separator and rows, trimmed.
func tableLines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); strings.HasPrefix(l, "|") {
			out = append(out, l)
		}
	}
	return out
}

func cells(line string) []string {
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	parts := strings.Split(line, "|")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// readDifferences parses differences.md: one row per deliberate
// difference, its id in the first column.
func readDifferences(t *testing.T) []row {
	t.Helper()
	b, err := os.ReadFile("differences.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := tableLines(string(b))
	if len(lines) < 3 {
		t.Fatalf("differences.md: no table")
	}
	if h := cells(lines[0]); len(h) != 4 || h[0] != "id" {
		t.Fatalf("differences.md: the header must be | id | ... | with 4 columns, got %q", lines[0])
	}
	var rows []row
	seen := map[string]bool{}
	for _, l := range lines[2:] {
		c := cells(l)
		if len(c) != 4 {
			t.Fatalf("differences.md: a row has %d cells, want 4: %q", len(c), l)
		}
		id := strings.Trim(c[0], "`")
		if id == "" || seen[id] {
			t.Fatalf("differences.md: empty or repeated id in %q", l)
		}
		seen[id] = true
		rows = append(rows, row{id: id, line: l})
	}
	return rows
}

// The table parses and every row is named by a step (TestParity checks, with
// moto, that each still differs).
func TestParityDifferencesTable(t *testing.T) {
	rows := readDifferences(t)
	named := map[string]bool{}
	for _, st := range scenarios() {
		named[st.Diff] = true
	}
	for _, r := range rows {
		if !named[r.id] {
			t.Errorf("row %q of differences.md is named by no scenario step", r.id)
		}
	}
	checkScenarios(t, scenarios(), rows)
}

// README.md shows the table of differences.md, verbatim, between the
// markers.
func TestParityDifferencesInREADME(t *testing.T) {
	b, err := os.ReadFile("differences.md")
	if err != nil {
		t.Fatal(err)
	}
	want := tableLines(string(b))
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Skipf("README.md: %v; the README's \"Differences from the Python s1crets\" section is to show internal/parity/differences.md's table between %s and %s", err, readmeStart, readmeEnd)
	}
	text := string(readme)
	i, j := strings.Index(text, readmeStart), strings.Index(text, readmeEnd)
	if i < 0 || j < 0 {
		t.Skipf("README.md has no %s ... %s markers yet: its \"Differences from the Python s1crets\" section is to show internal/parity/differences.md's table between them", readmeStart, readmeEnd)
	}
	if j < i {
		t.Fatalf("README.md: %s comes before %s", readmeEnd, readmeStart)
	}
	got := tableLines(text[i+len(readmeStart) : j])
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("README.md's table between the markers is not the one of internal/parity/differences.md; copy it:\n\n%s\n", strings.Join(want, "\n"))
	}
}
