// Package parity compares this library with the original Python s1crets
// 0.0.12 on identical moto state: the scenarios of scenarios_test.go run
// through runner.py (the Python library) and through this library, their
// results are normalised to JSON and compared. Every deliberate difference
// is a row of differences.md; a step whose results differ must name its
// row, and every row must still differ somewhere, so that the table stays
// true. README.md shows the same table.
//
// The tests need moto and the venv of the original (S1CRETS_TEST_MOTO_URL,
// S1CRETS_TEST_PY_VENV); scripts/integration.sh provides both. Without them
// they skip.
package parity

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/parity/motoenv"
	"github.com/s1crets/s1crets/providers/aws"
)

func TestMain(m *testing.M) {
	// The Go side reads the SDK's standard environment, as a user's
	// program would; the Python side gets the same. Nothing reaches real
	// AWS: moto's endpoint, dummy credentials, empty config files, no
	// instance metadata.
	dir, err := os.MkdirTemp("", "s1crets-parity")
	if err != nil {
		panic(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		panic(err)
	}
	if url := strings.TrimRight(os.Getenv(motoenv.URLVar), "/"); url != "" {
		for k, v := range map[string]string{
			"AWS_ENDPOINT_URL":            url,
			"AWS_ACCESS_KEY_ID":           "AKIDPARITYTEST",
			"AWS_SECRET_ACCESS_KEY":       "parity-test",
			"AWS_REGION":                  motoenv.Region,
			"AWS_DEFAULT_REGION":          motoenv.Region, // the Python side's botocore reads this one
			"AWS_EC2_METADATA_DISABLED":   "true",
			"AWS_CONFIG_FILE":             empty,
			"AWS_SHARED_CREDENTIALS_FILE": empty,
		} {
			os.Setenv(k, v)
		}
		for _, k := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_SSM",
			"AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL_STS", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
			os.Unsetenv(k)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type opts = map[string]any

// step is one operation of a scenario; see runner.py for the fields.
type step struct {
	ID       string   `json:"id"`
	Op       string   `json:"op"`
	API      string   `json:"api,omitempty"`
	Provider string   `json:"provider,omitempty"`
	Path     string   `json:"path,omitempty"`
	Keypath  []string `json:"keypath,omitempty"`
	Value    string   `json:"value,omitempty"`
	Opts     opts     `json:"opts,omitempty"`
	Ctor     opts     `json:"ctor,omitempty"`
	Args     []string `json:"args,omitempty"`

	// SortLines compares a CLI's output as a set of lines (get-by-path
	// prints in the store's order in one, by name in the other).
	SortLines bool `json:"-"`

	Diff string `json:"-"` // the row of differences.md when the results differ
	Want any    `json:"-"` // the Go result that row promises, when given
}

// on returns st with {root} replaced by root.
func (st step) on(root string) step {
	r := func(s string) string { return strings.ReplaceAll(s, "{root}", root) }
	st.Path, st.Value = r(st.Path), r(st.Value)
	st.Keypath = slices.Clone(st.Keypath)
	st.Args = slices.Clone(st.Args)
	for i := range st.Args {
		st.Args[i] = r(st.Args[i])
	}
	return st
}

// ctx bounds a parity test's builds, moto calls and runners: a guard
// against a hang, generous for a busy machine (scripts/integration.sh gives
// go test 30 minutes in all).
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	t.Cleanup(cancel)
	return c
}

// TestParity runs every scenario through both libraries and compares.
func TestParity(t *testing.T) {
	url := motoenv.URL(t)
	venv := motoenv.Venv(t)
	c := ctx(t)
	if err := motoenv.Reachable(c, url); err != nil {
		t.Fatal(err)
	}
	rows := readDifferences(t)
	steps := scenarios()
	checkScenarios(t, steps, rows)

	// Two copies of the same state, one per side: an update by one side
	// cannot change what the other reads, and both can run at once.
	suffix := motoenv.RandomSuffix()
	pyRoot, goRoot := "par-py-"+suffix, "par-go-"+suffix

	start := time.Now()
	seedClients := motoenv.Config(url, &motoenv.Counter{})
	var g errgroup.Group
	var cliBin string
	g.Go(func() (err error) {
		cliBin, err = buildCLI(c, t.TempDir())
		return err
	})
	g.Go(func() error { return seed(c, seedClients, seedFor(pyRoot)) })
	g.Go(func() error { return seed(c, seedClients, seedFor(goRoot)) })
	if err := g.Wait(); err != nil {
		t.Fatalf("seeding moto, building the CLI: %v", err)
	}
	t.Logf("built the CLI and seeded 2 x %d parameters and %d secrets in %v", len(seedFor("").params), len(seedFor("").secrets), time.Since(start).Round(time.Millisecond))

	var (
		pyResults []result
		pyErr     error
		pyTime    time.Duration
		wg        sync.WaitGroup
	)
	wg.Go(func() {
		t0 := time.Now()
		pyResults, pyErr = runPython(c, venv, steps, pyRoot)
		pyTime = time.Since(t0)
	})
	t0 := time.Now()
	goResults := newGoRunner(c, seedClients, cliBin).runAll(steps, goRoot)
	goTime := time.Since(t0)
	wg.Wait()
	if pyErr != nil {
		t.Fatalf("python runner: %v", pyErr)
	}
	t.Logf("%d steps: Python s1crets %v (one process), this library %v", len(steps), pyTime.Round(time.Millisecond), goTime.Round(time.Millisecond))

	if len(pyResults) != len(steps) {
		t.Fatalf("python runner returned %d results for %d steps", len(pyResults), len(steps))
	}
	// S1CRETS_PARITY_REPORT=FILE writes every step's two results, one JSON
	// object a line, for reading the comparison.
	var report *os.File
	if name := os.Getenv("S1CRETS_PARITY_REPORT"); name != "" {
		f, err := os.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		report = f
	}
	stillDiffer := map[string]bool{}
	for i, st := range steps {
		py := normalise(pyResults[i], pyRoot, st.SortLines)
		got := normalise(goResults[i], goRoot, st.SortLines)
		same := reflect.DeepEqual(comparable(py), comparable(got))
		if !same && st.Diff != "" {
			stillDiffer[st.Diff] = true
		}
		if report != nil {
			fmt.Fprintln(report, show(map[string]any{"id": st.ID, "same": same, "diff": st.Diff, "python": py, "go": got}))
		}
		t.Run(st.ID, func(t *testing.T) {
			switch {
			case same && st.Diff != "":
				t.Errorf("the results are the same now, but the step names row %q of differences.md: "+
					"remove the diff from the step (and the row if no step differs any more)\nboth: %s", st.Diff, show(got))
			case !same && st.Diff == "":
				t.Errorf("the results differ and no row of differences.md explains it: "+
					"fix the library, or list the difference and name its row in the step\npython: %s\ngo:     %s\n%s",
					show(py), show(got), detail(pyResults[i], goResults[i]))
			case !same && st.Want != nil && !reflect.DeepEqual(comparable(got), comparable(roundTrip(st.Want))):
				t.Errorf("row %q: this library should give %s, got %s\npython: %s\n%s", st.Diff, show(st.Want), show(got), show(py),
					detail(pyResults[i], goResults[i]))
			}
		})
	}
	for _, r := range rows {
		if !stillDiffer[r.id] {
			t.Errorf("row %q of differences.md: no step differs that way any more (or none names it); remove the row or fix the step", r.id)
		}
	}
}

// result is a normalised outcome: {"ok": value} or {"error": class,
// "detail": message}.
type result = map[string]any

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func detail(py, got result) string {
	var b strings.Builder
	if d, ok := py["detail"]; ok {
		fmt.Fprintf(&b, "python error: %v\n", d)
	}
	if d, ok := got["detail"]; ok {
		fmt.Fprintf(&b, "go error: %v\n", d)
	}
	return b.String()
}

// comparable drops the error details (messages differ by design) and keeps
// what is compared: the value, or the error class.
func comparable(r any) any {
	m, ok := r.(map[string]any)
	if !ok {
		return r
	}
	if e, ok := m["error"]; ok {
		return map[string]any{"error": e}
	}
	return m
}

func roundTrip(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// normalise makes a result comparable across the sides: JSON numbers as
// float64, the side's root replaced by {root} in strings and keys, and, with
// sortLines, a CLI's output lines sorted.
func normalise(r result, root string, sortLines bool) result {
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case string:
			return strings.ReplaceAll(x, root, "{root}")
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = walk(e)
			}
			return out
		case map[string]any:
			out := make(map[string]any, len(x))
			for k, e := range x {
				out[strings.ReplaceAll(k, root, "{root}")] = walk(e)
			}
			return out
		default:
			return x
		}
	}
	out := walk(roundTrip(r)).(map[string]any)
	if cli, ok := out["ok"].(map[string]any); ok && sortLines {
		if stdout, ok := cli["stdout"].(string); ok {
			lines := strings.SplitAfter(stdout, "\n")
			slices.Sort(lines)
			cli["stdout"] = strings.Join(lines, "")
		}
	}
	return out
}

// checkScenarios checks the step list itself: unique ids, known rows.
func checkScenarios(t *testing.T, steps []step, rows []row) {
	t.Helper()
	known := map[string]bool{}
	for _, r := range rows {
		known[r.id] = true
	}
	seen := map[string]bool{}
	for _, st := range steps {
		if seen[st.ID] {
			t.Fatalf("two steps are named %q", st.ID)
		}
		seen[st.ID] = true
		if st.Diff != "" && !known[st.Diff] {
			t.Fatalf("step %q names row %q, which differences.md does not list", st.ID, st.Diff)
		}
	}
}

// seed writes spec to moto through the Go SDK.
func seed(c context.Context, cfg awssdk.Config, spec seedSpec) error {
	ssmc := ssm.NewFromConfig(cfg)
	smc := secretsmanager.NewFromConfig(cfg)
	var g errgroup.Group
	g.SetLimit(8)
	for _, p := range spec.params {
		g.Go(func() error {
			// Overwrite: an SDK retry of a create that landed is harmless.
			in := &ssm.PutParameterInput{Name: &p.name, Value: &p.value, Type: ssmtypes.ParameterType(p.typ), Overwrite: awssdk.Bool(true)}
			if p.keyID != "" {
				in.KeyId = &p.keyID
			}
			if p.description != "" {
				in.Description = &p.description
			}
			if p.tier != "" {
				in.Tier = ssmtypes.ParameterTier(p.tier)
			}
			if p.dataType != "" {
				in.DataType = &p.dataType
			}
			if p.allowedPattern != "" {
				in.AllowedPattern = &p.allowedPattern
			}
			_, err := ssmc.PutParameter(c, in)
			if err != nil {
				return fmt.Errorf("PutParameter %s: %w", p.name, err)
			}
			return nil
		})
	}
	for _, s := range spec.secrets {
		g.Go(func() error {
			in := &secretsmanager.CreateSecretInput{Name: &s.name}
			switch {
			case s.empty:
			case s.binary != nil:
				in.SecretBinary = s.binary
			default:
				in.SecretString = &s.value
			}
			if err := motoenv.CreateSecret(c, smc, in); err != nil {
				return fmt.Errorf("CreateSecret %s: %w", s.name, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// runPython runs the steps through runner.py in one process.
func runPython(c context.Context, venv string, steps []step, root string) ([]result, error) {
	in := struct {
		Steps []step `json:"steps"`
	}{}
	for _, st := range steps {
		in.Steps = append(in.Steps, st.on(root))
	}
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(c, filepath.Join(venv, "bin", "python"), "runner.py")
	cmd.Stdin = bytes.NewReader(body)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%v\n%s", err, stderr.String())
	}
	var out struct {
		Results []result `json:"results"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("decoding its output: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	return out.Results, nil
}

// goRunner runs steps through this library.
type goRunner struct {
	ctx       context.Context
	cli       string // the built cmd/s1crets
	ssm       *ssm.Client
	sm        *secretsmanager.Client
	providers map[string]s1crets.Provider // provider objects by constructor arguments, as the original memoizes them
}

func newGoRunner(c context.Context, cfg awssdk.Config, cli string) *goRunner {
	return &goRunner{ctx: c, cli: cli, ssm: ssm.NewFromConfig(cfg), sm: secretsmanager.NewFromConfig(cfg), providers: map[string]s1crets.Provider{}}
}

func (r *goRunner) runAll(steps []step, root string) []result {
	defer r.close()
	out := make([]result, len(steps))
	for i, st := range steps {
		out[i] = r.run(st.on(root))
	}
	return out
}

// close closes the providers that the steps built.
func (r *goRunner) close() {
	for k, p := range r.providers {
		if c, ok := p.(interface{ Close() error }); ok {
			_ = c.Close()
		}
		delete(r.providers, k)
	}
}

func (r *goRunner) run(st step) result {
	v, err := r.do(st)
	if err != nil {
		return goError(err)
	}
	return result{"ok": v}
}

func goError(err error) result {
	var ae smithy.APIError
	class := "error"
	switch {
	case errors.Is(err, s1crets.ErrNotFound):
		class = "not_found"
	case errors.Is(err, s1crets.ErrUnknownProvider):
		class = "unknown_provider"
	case errors.Is(err, s1crets.ErrInvalid):
		class = "invalid"
	case errors.As(err, &ae):
		class = "ClientError:" + ae.ErrorCode()
	}
	return result{"error": class, "detail": err.Error()}
}

func (r *goRunner) do(st step) (any, error) {
	switch st.Op {
	case "get", "get_by_path", "update", "path_exists":
	case "cli":
		return r.runCLI(st.Args)
	default:
		return r.raw(st)
	}
	var p s1crets.Provider
	var callOpts []s1crets.Option
	if st.API == "module" {
		if v, ok := st.Opts["retry"]; ok {
			callOpts = append(callOpts, s1crets.Retry(toInt(v)))
		}
		if v, ok := st.Opts["timeout"]; ok {
			callOpts = append(callOpts, s1crets.Timeout(time.Duration(toFloat(v)*float64(time.Second))))
		}
	} else {
		var err error
		if p, err = r.provider(st.Provider, st.Ctor); err != nil {
			return nil, err
		}
	}
	for k, v := range st.Opts {
		switch k {
		case "retry", "timeout":
		case "default":
			callOpts = append(callOpts, s1crets.Default(v.(string)))
		case "decrypt":
			callOpts = append(callOpts, s1crets.Decrypt(v.(bool)))
		case "recursive":
			callOpts = append(callOpts, s1crets.Recursive(v.(bool)))
		case "fail_on_error":
			callOpts = append(callOpts, s1crets.FailOnError(v.(bool)))
		default:
			panic("unknown option " + k)
		}
	}
	if st.Keypath != nil {
		callOpts = append(callOpts, s1crets.KeyPath(st.Keypath...))
	}
	c := r.ctx
	switch st.Op {
	case "get":
		var v s1crets.Value
		var err error
		if p != nil {
			v, err = p.Get(c, st.Path, callOpts...)
		} else {
			v, err = s1crets.Get(c, st.Provider, st.Path, callOpts...)
		}
		if err != nil {
			return nil, err
		}
		return valueOf(st.Provider, st.Path, v), nil
	case "get_by_path":
		var m map[string]s1crets.Value
		var err error
		if p != nil {
			m, err = p.GetByPath(c, st.Path, callOpts...)
		} else {
			m, err = s1crets.GetByPath(c, st.Provider, st.Path, callOpts...)
		}
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k] = valueOf(st.Provider, k, v)
		}
		return out, nil
	case "update":
		if p != nil {
			return nil, p.Update(c, st.Path, st.Value, callOpts...)
		}
		return nil, s1crets.Update(c, st.Provider, st.Path, st.Value, callOpts...)
	default: // path_exists
		if p != nil {
			return p.PathExists(c, st.Path, callOpts...)
		}
		return s1crets.PathExists(c, st.Provider, st.Path, callOpts...)
	}
}

// valueOf normalises a Value as the original returns it: Parameter Store
// parameters as their text (the original never parses them), references to
// Secrets Manager and Secrets Manager secrets as decoded JSON when they are
// JSON, bytes when binary, else text.
func valueOf(provider, path string, v s1crets.Value) any {
	if provider == aws.ParameterStoreName && !strings.HasPrefix(path, aws.ReferencePrefix) {
		return v.Text()
	}
	return jsonOf(v.Interface())
}

func jsonOf(v any) any {
	switch x := v.(type) {
	case []byte:
		return map[string]any{"base64": base64.StdEncoding.EncodeToString(x)}
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return x.String()
		}
		return f
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonOf(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonOf(e)
		}
		return out
	default:
		return x
	}
}

// provider returns the provider object for the original's constructor
// arguments (sts_args, retry, timeout), one per distinct arguments.
func (r *goRunner) provider(name string, ctor opts) (s1crets.Provider, error) {
	key := name + show(ctor)
	if p, ok := r.providers[key]; ok {
		return p, nil
	}
	var o []aws.Option
	for k, v := range ctor {
		switch k {
		case "retry":
			o = append(o, s1crets.Retry(toInt(v)))
		case "timeout":
			o = append(o, s1crets.Timeout(time.Duration(toFloat(v)*float64(time.Second))))
		case "sts_args":
			sts := v.(opts)
			if arn, ok := sts["RoleArn"].(string); ok {
				session, _ := sts["RoleSessionName"].(string)
				o = append(o, aws.WithAssumeRole(arn, session))
			}
			if region, ok := sts["aws_region"].(string); ok {
				o = append(o, aws.WithRegion(region))
			}
		default:
			panic("unknown constructor argument " + k)
		}
	}
	var p s1crets.Provider
	if name == aws.ParameterStoreName {
		ps, err := aws.NewParameterStore(r.ctx, o...)
		if err != nil {
			return nil, err
		}
		p = ps
	} else {
		sm, err := aws.NewSecretsManager(r.ctx, o...)
		if err != nil {
			return nil, err
		}
		p = sm
	}
	r.providers[key] = p
	return p, nil
}

// raw does the out-of-band steps with the SDK, as runner.py does with
// boto3.
func (r *goRunner) raw(st step) (any, error) {
	c := r.ctx
	switch st.Op {
	case "put_parameter":
		_, err := r.ssm.PutParameter(c, &ssm.PutParameterInput{Name: &st.Path, Value: &st.Value, Overwrite: awssdk.Bool(true)})
		return nil, err
	case "put_secret":
		_, err := r.sm.PutSecretValue(c, &secretsmanager.PutSecretValueInput{SecretId: &st.Path, SecretString: &st.Value})
		return nil, err
	case "describe_parameter":
		out, err := r.ssm.DescribeParameters(c, &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{
			{Key: awssdk.String("Name"), Option: awssdk.String("Equals"), Values: []string{st.Path}},
		}})
		if err != nil {
			return nil, err
		}
		if len(out.Parameters) != 1 {
			return nil, s1crets.ErrNotFound
		}
		m := out.Parameters[0]
		v, err := r.ssm.GetParameter(c, &ssm.GetParameterInput{Name: &st.Path, WithDecryption: awssdk.Bool(true)})
		if err != nil {
			return nil, err
		}
		return map[string]any{
			"Type": string(m.Type), "KeyId": awssdk.ToString(m.KeyId), "Description": awssdk.ToString(m.Description),
			"Tier": string(m.Tier), "DataType": awssdk.ToString(m.DataType), "AllowedPattern": awssdk.ToString(m.AllowedPattern),
			"Value": awssdk.ToString(v.Parameter.Value),
		}, nil
	case "raw_secret":
		out, err := r.sm.GetSecretValue(c, &secretsmanager.GetSecretValueInput{SecretId: &st.Path})
		if err != nil {
			return nil, err
		}
		if out.SecretBinary != nil {
			return map[string]any{"binary": base64.StdEncoding.EncodeToString(out.SecretBinary)}, nil
		}
		return map[string]any{"string": awssdk.ToString(out.SecretString)}, nil
	}
	panic("unknown op " + st.Op)
}

// buildCLI builds cmd/s1crets into dir, with -race when this test has it
// (the race-instrumented packages are then already built).
func buildCLI(c context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "s1crets")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.CommandContext(c, "go", append(args, "github.com/s1crets/s1crets/cmd/s1crets")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/s1crets: %v\n%s", err, out)
	}
	return bin, nil
}

// runCLI runs the built CLI with the test's environment, as runner.py
// runs the original's: its exit code and standard output.
func (r *goRunner) runCLI(args []string) (any, error) {
	cmd := exec.CommandContext(r.ctx, r.cli, args...)
	// A -race binary sleeps 1s at exit by default.
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return nil, err
	}
	return map[string]any{"rc": cmd.ProcessState.ExitCode(), "stdout": backslashReplace(stdout.Bytes())}, nil
}

// backslashReplace decodes b as UTF-8 with Python's "backslashreplace":
// each byte that is not part of valid UTF-8 becomes \xNN.
func backslashReplace(b []byte) string {
	var s strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			fmt.Fprintf(&s, "\\x%02x", b[0])
			b = b[1:]
			continue
		}
		s.Write(b[:n])
		b = b[n:]
	}
	return s.String()
}

func toInt(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case float64:
		return int(x)
	}
	panic(fmt.Sprintf("not a number: %v", v))
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	panic(fmt.Sprintf("not a number: %v", v))
}
