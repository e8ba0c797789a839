package diskcache

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// readmeCommand is the command that the README names for its disk-cache
// figures.
const readmeCommand = "`go test -run '^$' -bench . -benchmem -count 5 ./internal/diskcache/`"

// TestREADMEFigures: the README's disk-cache figures are introduced by the
// command that measures them, name benchmarks that exist, and give the
// allocations that those benchmarks make (allocations do not depend on the
// machine; times do, and are not checked). The benchmarks run in a
// subprocess, as go test -bench runs them; under the race detector, which
// allocates too, only the names are checked.
func TestREADMEFigures(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "**Disk cache**, "+readmeCommand)
	if i < 0 {
		t.Fatalf("README: no disk-cache figures introduced by the command %s", readmeCommand)
	}
	s = s[i:]
	s = s[:strings.Index(s, "\n\n**")]
	row := regexp.MustCompile("(?m)^\\| `(Benchmark[A-Za-z]+)`[^|]*\\| [^|]+ \\| ([0-9]+) \\|$")
	rows := row.FindAllStringSubmatch(s, -1)
	if len(rows) == 0 {
		t.Fatal("README: no rows in the disk-cache table")
	}
	known := map[string]func(*testing.B){
		"BenchmarkGetPlain": BenchmarkGetPlain, "BenchmarkGetEncrypted": BenchmarkGetEncrypted,
		"BenchmarkGetMiss": BenchmarkGetMiss, "BenchmarkPut": BenchmarkPut, "BenchmarkPutEncrypted": BenchmarkPutEncrypted,
		"BenchmarkDelete": BenchmarkDelete,
	}
	var names []string
	for _, m := range rows {
		if known[m[1]] == nil {
			t.Errorf("README names %s, which is not a benchmark of this package", m[1])
		}
		names = append(names, m[1])
	}
	if raceEnabled || testing.Short() {
		t.Skip("allocation figures: checked without -race and -short")
	}
	out, err := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^("+strings.Join(names, "|")+")$",
		"-test.benchmem", "-test.benchtime=1000x").CombinedOutput()
	if err != nil {
		t.Fatalf("running the benchmarks: %v\n%s", err, out)
	}
	for _, m := range rows {
		res := regexp.MustCompile("(?m)^" + m[1] + "(?:-[0-9]+)?\\s.* ([0-9]+) allocs/op$").FindStringSubmatch(string(out))
		switch {
		case res == nil:
			t.Errorf("%s: no result in\n%s", m[1], out)
		case res[1] != m[2]:
			t.Errorf("README: %s makes %s allocations; measured %s (%s)", m[1], m[2], res[1], readmeCommand)
		}
	}
}
