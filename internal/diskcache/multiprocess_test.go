package diskcache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	helperEnv       = "S1CRETS_DISKCACHE_HELPER" // "worker" selects the helper role
	helperDirEnv    = "S1CRETS_DISKCACHE_HELPER_DIR"
	helperStableEnv = "S1CRETS_DISKCACHE_HELPER_STABLE_DIR"
	helperIDEnv     = "S1CRETS_DISKCACHE_HELPER_ID"
	helperKeyEnv    = "S1CRETS_DISKCACHE_HELPER_KEY" // hex; empty for plain text
	helperStartEnv  = "S1CRETS_DISKCACHE_HELPER_START"
	helperRunEnv    = "S1CRETS_DISKCACHE_HELPER_RUN"

	workers        = 6
	workerMaxEntry = 12 // below the 8 names x 2 variants, so sweeps run all along
)

var (
	workerNames    = []string{"/shared/a", "/shared/b b", "/shared/\x00c", "/shared/d/e", "f", "g", "/h", "/i"}
	workerVariants = []string{"", "decrypt=true"}
)

// Requirement 2: six processes work on two caches at once, with values of
// many lengths that carry a self-check (name, writer, pattern, SHA-256).
//
//   - In the "stable" cache every entry exists before the workers start, and
//     they only Put and Get: every Get must hit (an entry is replaced, never
//     absent or half-written, which is what the rename gives: with writes in
//     place a reader meets short files) and return a complete value for the
//     right name and variant.
//   - In the "stress" cache they also Delete, and its cap is small enough that
//     they sweep and evict all along: misses are allowed, but every hit must
//     be a complete and right value.
func TestMultiProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			dir, stable := t.TempDir(), t.TempDir()
			sc := openT(t, stable, Options{Key: m.key})
			for _, n := range workerNames {
				for _, v := range workerVariants {
					require.NoError(t, sc.Put(bg, n, v, makeValue(n, v, -1, 0, 10), time.Hour))
				}
			}
			start := time.Now().Add(500 * time.Millisecond) // all start together
			type proc struct {
				cmd            *exec.Cmd
				stdout, stderr bytes.Buffer
			}
			procs := make([]*proc, workers)
			for i := range procs {
				p := &proc{cmd: exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.timeout=10m")}
				p.cmd.Env = append(os.Environ(),
					helperEnv+"=worker",
					helperDirEnv+"="+dir,
					helperStableEnv+"="+stable,
					helperIDEnv+"="+strconv.Itoa(i),
					helperKeyEnv+"="+hex.EncodeToString(m.key),
					helperStartEnv+"="+strconv.FormatInt(start.UnixNano(), 10),
					helperRunEnv+"="+(1500*time.Millisecond).String(),
				)
				p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
				require.NoError(t, p.cmd.Start())
				procs[i] = p
			}
			var total workerStats
			for i, p := range procs {
				err := p.cmd.Wait()
				assert.NoError(t, err, "worker %d failed:\n%s", i, p.stderr.String())
				var s workerStats
				for _, line := range strings.Split(p.stdout.String(), "\n") {
					if rest, ok := strings.CutPrefix(line, "STATS "); ok {
						_, err := fmt.Sscan(rest, &s.puts, &s.gets, &s.hits, &s.deletes, &s.stablePuts, &s.stableGets)
						require.NoError(t, err)
					}
				}
				require.NotZero(t, s.gets, "worker %d reported nothing; stdout:\n%s\nstderr:\n%s", i, p.stdout.String(), p.stderr.String())
				total.puts += s.puts
				total.gets += s.gets
				total.hits += s.hits
				total.deletes += s.deletes
				total.stablePuts += s.stablePuts
				total.stableGets += s.stableGets
			}
			t.Logf("%d processes: stress cache: %d puts, %d gets (%d hits), %d deletes; stable cache: %d puts, %d gets (all hits)",
				workers, total.puts, total.gets, total.hits, total.deletes, total.stablePuts, total.stableGets)
			assert.Greater(t, total.hits, total.gets/10, "too few hits to have tested much")

			// What is left is valid and bounded, and no temporary file is left.
			c := openT(t, dir, Options{Key: m.key})
			for _, n := range workerNames {
				for _, v := range workerVariants {
					if got, ok := c.Get(bg, n, v); ok {
						assert.NoError(t, checkValue(got, n, v))
					}
					got, ok := sc.Get(bg, n, v)
					if assert.True(t, ok) {
						assert.NoError(t, checkValue(got, n, v))
					}
				}
			}
			assert.LessOrEqual(t, len(entryFiles(t, dir)), len(workerNames)*len(workerVariants))
			for _, d := range []string{dir, stable} {
				leftovers, err := findTemps(d)
				require.NoError(t, err)
				assert.Empty(t, leftovers)
			}
		})
	}
}

type workerStats struct{ puts, gets, hits, deletes, stablePuts, stableGets int }

// TestHelperProcess is one worker of TestMultiProcess, run in its own process.
func TestHelperProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "worker" {
		t.Skip("helper process of TestMultiProcess")
	}
	s, err := runWorker()
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
	fmt.Printf("STATS %d %d %d %d %d %d\n", s.puts, s.gets, s.hits, s.deletes, s.stablePuts, s.stableGets)
	os.Exit(0)
}

func runWorker() (workerStats, error) {
	var s workerStats
	id, err := strconv.Atoi(os.Getenv(helperIDEnv))
	if err != nil {
		return s, err
	}
	var key []byte
	if k := os.Getenv(helperKeyEnv); k != "" {
		if key, err = hex.DecodeString(k); err != nil {
			return s, err
		}
	}
	startNanos, err := strconv.ParseInt(os.Getenv(helperStartEnv), 10, 64)
	if err != nil {
		return s, err
	}
	run, err := time.ParseDuration(os.Getenv(helperRunEnv))
	if err != nil {
		return s, err
	}
	c, err := Open(os.Getenv(helperDirEnv), Options{Key: key, MaxEntries: workerMaxEntry})
	if err != nil {
		return s, err
	}
	sc, err := Open(os.Getenv(helperStableEnv), Options{Key: key})
	if err != nil {
		return s, err
	}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(id), uint64(time.Now().UnixNano())))
	time.Sleep(time.Until(time.Unix(0, startNanos)))
	deadline := time.Now().Add(run)
	for seq := 0; time.Now().Before(deadline); seq++ {
		n := workerNames[rng.IntN(len(workerNames))]
		v := workerVariants[rng.IntN(len(workerVariants))]
		// Lengths from a few bytes to several pages, so that a torn or
		// interleaved write could not pass unnoticed.
		reps := []int{0, 1, 3, 40, 700, 9000}[rng.IntN(6)] + rng.IntN(10)
		if rng.IntN(2) == 0 {
			if rng.IntN(2) == 0 {
				if err := sc.Put(ctx, n, v, makeValue(n, v, id, seq, reps), time.Hour); err != nil {
					return s, fmt.Errorf("stable put %q/%q: %w", n, v, err)
				}
				s.stablePuts++
				continue
			}
			s.stableGets++
			got, ok := sc.Get(ctx, n, v)
			if !ok {
				return s, fmt.Errorf("stable get %q/%q: miss of an entry that always exists", n, v)
			}
			if err := checkValue(got, n, v); err != nil {
				return s, fmt.Errorf("stable get %q/%q returned a bad value (%d bytes): %w", n, v, len(got), err)
			}
			continue
		}
		switch r := rng.IntN(100); {
		case r < 40:
			if err := c.Put(ctx, n, v, makeValue(n, v, id, seq, reps), time.Hour); err != nil {
				return s, fmt.Errorf("put %q/%q: %w", n, v, err)
			}
			s.puts++
		case r < 98:
			s.gets++
			if got, ok := c.Get(ctx, n, v); ok {
				s.hits++
				if err := checkValue(got, n, v); err != nil {
					return s, fmt.Errorf("get %q/%q returned a bad value (%d bytes): %w", n, v, len(got), err)
				}
			}
		default:
			if err := c.Delete(ctx, n); err != nil {
				return s, fmt.Errorf("delete %q: %w", n, err)
			}
			s.deletes++
		}
	}
	return s, nil
}

// makeValue returns a self-checking value: its name and variant, the writer,
// reps repetitions of a writer-specific pattern, and a SHA-256 of all that.
func makeValue(name, variant string, id, seq, reps int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%q|%q|%d|%d|%d|", name, variant, id, seq, reps)
	pat := fmt.Sprintf("<%d.%d>", id, seq)
	for range reps {
		b.WriteString(pat)
	}
	sum := sha256.Sum256(b.Bytes())
	b.WriteString(hex.EncodeToString(sum[:]))
	return b.Bytes()
}

func checkValue(v []byte, name, variant string) error {
	if len(v) < 64 {
		return fmt.Errorf("too short")
	}
	body, sum := v[:len(v)-64], v[len(v)-64:]
	want := sha256.Sum256(body)
	if string(sum) != hex.EncodeToString(want[:]) {
		return fmt.Errorf("checksum mismatch: torn or mixed value")
	}
	prefix := fmt.Sprintf("%q|%q|", name, variant)
	rest, ok := bytes.CutPrefix(body, []byte(prefix))
	if !ok {
		return fmt.Errorf("value of another entry")
	}
	var id, seq, reps int
	fields := bytes.SplitN(rest, []byte("|"), 4)
	if len(fields) != 4 {
		return fmt.Errorf("malformed value")
	}
	for i, p := range []*int{&id, &seq, &reps} {
		n, err := strconv.Atoi(string(fields[i]))
		if err != nil {
			return fmt.Errorf("malformed value")
		}
		*p = n
	}
	if !bytes.Equal(fields[3], bytes.Repeat([]byte(fmt.Sprintf("<%d.%d>", id, seq)), reps)) {
		return fmt.Errorf("pattern mismatch")
	}
	return nil
}

func findTemps(dir string) ([]string, error) {
	var out []string
	subs, err := readDirNames(dir)
	if err != nil {
		return nil, err
	}
	for _, s := range subs {
		names, err := readDirNames(filepath.Join(dir, s))
		if err != nil {
			continue
		}
		for _, n := range names {
			if strings.HasPrefix(n, tempPrefix) {
				out = append(out, n)
			}
		}
	}
	return out, nil
}

func TestCheckValue(t *testing.T) {
	v := makeValue("/n", "v", 3, 17, 50)
	require.NoError(t, checkValue(v, "/n", "v"))
	assert.Error(t, checkValue(v, "/m", "v"))
	assert.Error(t, checkValue(v[:len(v)-1], "/n", "v"))
	w := makeValue("/n", "v", 4, 18, 500)
	mixed := append(bytes.Clone(w[:len(v)/2]), v[len(v)/2:]...)
	assert.Error(t, checkValue(mixed, "/n", "v"))
}
