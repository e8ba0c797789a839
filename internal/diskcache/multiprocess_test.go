package diskcache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
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
	helperNameEnv   = "S1CRETS_DISKCACHE_HELPER_NAME" // invalidate: the name to Delete; empty: Purge
	helperMaxEnv    = "S1CRETS_DISKCACHE_HELPER_MAX"  // fill: MaxEntries and the number of entries

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
					require.NoError(t, put(bg, sc, n, v, makeValue(n, v, -1, 0, 10), time.Hour))
				}
			}
			start := time.Now().Add(500 * time.Millisecond) // all start together
			type proc struct {
				cmd            *exec.Cmd
				stdout, stderr bytes.Buffer
			}
			procs := make([]*proc, workers)
			for i := range procs {
				p := &proc{cmd: helperCmd("worker",
					helperDirEnv+"="+dir,
					helperStableEnv+"="+stable,
					helperIDEnv+"="+strconv.Itoa(i),
					helperKeyEnv+"="+hex.EncodeToString(m.key),
					helperStartEnv+"="+strconv.FormatInt(start.UnixNano(), 10),
					helperRunEnv+"="+(1500*time.Millisecond).String(),
				)}
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
					if got, ok := get(bg, c, n, v); ok {
						assert.NoError(t, checkValue(got, n, v))
					}
					got, ok := get(bg, sc, n, v)
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

// TestHelperProcess is a process that the tests start: a worker of
// TestMultiProcess, an invalidator (runInvalidator) or a filler (runFiller).
func TestHelperProcess(t *testing.T) {
	var err error
	switch os.Getenv(helperEnv) {
	case "worker":
		var s workerStats
		if s, err = runWorker(); err == nil {
			fmt.Printf("STATS %d %d %d %d %d %d\n", s.puts, s.gets, s.hits, s.deletes, s.stablePuts, s.stableGets)
		}
	case "invalidate":
		err = runInvalidator()
	case "fill":
		err = runFiller()
	default:
		t.Skip("helper process of other tests")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, os.Getenv(helperEnv)+":", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// helperCmd returns the command that runs TestHelperProcess in role, with the
// environment variables env ("NAME=value") added.
func helperCmd(role string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1", "-test.timeout=10m")
	cmd.Env = append(append(os.Environ(), helperEnv+"="+role), env...)
	return cmd
}

// runHelper runs TestHelperProcess in role and waits for it.
func runHelper(t testing.TB, role string, env ...string) {
	t.Helper()
	out, err := helperCmd(role, env...).CombinedOutput()
	require.NoError(t, err, "helper %s:\n%s", role, out)
}

func helperKey() ([]byte, error) {
	if k := os.Getenv(helperKeyEnv); k != "" {
		return hex.DecodeString(k)
	}
	return nil, nil
}

// runInvalidator opens the cache in another process and runs a Delete of
// the name in S1CRETS_DISKCACHE_HELPER_NAME, or a Purge when it is empty.
func runInvalidator() error {
	key, err := helperKey()
	if err != nil {
		return err
	}
	c, err := Open(os.Getenv(helperDirEnv), Options{Key: key})
	if err != nil {
		return err
	}
	defer c.Close()
	if name := os.Getenv(helperNameEnv); name != "" {
		return c.Delete(context.Background(), name)
	}
	return c.Purge(context.Background())
}

// runFiller opens the cache with MaxEntries = S1CRETS_DISKCACHE_HELPER_MAX,
// waits for the start time, and creates that many distinct entries.
func runFiller() error {
	key, err := helperKey()
	if err != nil {
		return err
	}
	id := os.Getenv(helperIDEnv)
	maxEntries, err := strconv.Atoi(os.Getenv(helperMaxEnv))
	if err != nil {
		return err
	}
	startNanos, err := strconv.ParseInt(os.Getenv(helperStartEnv), 10, 64)
	if err != nil {
		return err
	}
	c, err := Open(os.Getenv(helperDirEnv), Options{Key: key, MaxEntries: maxEntries})
	if err != nil {
		return err
	}
	defer c.Close()
	time.Sleep(time.Until(time.Unix(0, startNanos)))
	return fill(context.Background(), c, id, maxEntries)
}

// fill creates n distinct entries of writer id: variants of a few names, so
// that the sweeps, which read every entry directory, stay cheap.
func fill(ctx context.Context, c *Cache, id string, n int) error {
	for i := range n {
		if err := put(ctx, c, fmt.Sprintf("/fill/%s/%d", id, i%8), fmt.Sprint(i), []byte("value"), time.Hour); err != nil {
			return err
		}
	}
	return nil
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
				if err := put(ctx, sc, n, v, makeValue(n, v, id, seq, reps), time.Hour); err != nil {
					return s, fmt.Errorf("stable put %q/%q: %w", n, v, err)
				}
				s.stablePuts++
				continue
			}
			s.stableGets++
			got, ok := get(ctx, sc, n, v)
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
			if err := put(ctx, c, n, v, makeValue(n, v, id, seq, reps), time.Hour); err != nil {
				return s, fmt.Errorf("put %q/%q: %w", n, v, err)
			}
			s.puts++
		case r < 98:
			s.gets++
			if got, ok := get(ctx, c, n, v); ok {
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
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), tempPrefix) {
			out = append(out, p)
		}
		return nil
	})
	return out, err
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

// Contract point 2 across processes: a Stamp read in this process before
// another process's Delete or Purge is obsolete after it, whether this
// process's Put comes after the invalidation or its write lands after it.
func TestGenerationsAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for _, m := range modes {
		for _, op := range []string{"Delete", "Purge"} {
			for _, landing := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/landing=%v", m.name, op, landing), func(t *testing.T) {
					dir := t.TempDir()
					c := openT(t, dir, Options{Key: m.key})
					env := []string{helperDirEnv + "=" + dir, helperKeyEnv + "=" + hex.EncodeToString(m.key)}
					if op == "Delete" {
						env = append(env, helperNameEnv+"=/n")
					}
					require.NoError(t, put(bg, c, "/n", "v", []byte("old"), time.Hour))
					st := c.Stamp(bg, "/n")
					require.True(t, st.OK)
					if landing {
						testHookTempCreated = func(string) {
							testHookTempCreated = nil
							runHelper(t, "invalidate", env...)
						}
						defer func() { testHookTempCreated = nil }()
					} else {
						runHelper(t, "invalidate", env...)
					}
					require.NoError(t, c.Put(bg, "/n", "v", []byte("older"), time.Hour, st))
					got, st2, hit := c.Get(bg, "/n", "v")
					assert.False(t, hit, "a value from before the other process's %s came back: %q", op, got)
					assert.NotEqual(t, st, st2)
				})
			}
		}
	}
}

// The size bound holds for processes together: eight processes that each
// create MaxEntries entries at once leave at most MaxEntries in the
// directory (each counted only its own, and left eight times as many, before
// the counter was shared).
func TestBoundAcrossProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	const procs, maxEntries = 8, 200
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			dir := t.TempDir()
			start := time.Now().Add(300 * time.Millisecond)
			cmds := make([]*exec.Cmd, procs)
			outs := make([]bytes.Buffer, procs)
			for i := range cmds {
				cmds[i] = helperCmd("fill",
					helperDirEnv+"="+dir,
					helperKeyEnv+"="+hex.EncodeToString(m.key),
					helperIDEnv+"="+strconv.Itoa(i),
					helperMaxEnv+"="+strconv.Itoa(maxEntries),
					helperStartEnv+"="+strconv.FormatInt(start.UnixNano(), 10),
				)
				cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
				require.NoError(t, cmds[i].Start())
			}
			for i, cmd := range cmds {
				assert.NoError(t, cmd.Wait(), "filler %d:\n%s", i, outs[i].String())
			}
			n := len(entryFiles(t, dir))
			t.Logf("%d processes created %d entries each; %d left (MaxEntries %d)", procs, maxEntries, n, maxEntries)
			assert.LessOrEqual(t, n, maxEntries)
			assert.GreaterOrEqual(t, n, maxEntries-maxEntries/16, "evicted more than needed")
		})
	}
}
