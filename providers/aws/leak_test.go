package aws_test

// Leak-proofing: secret values read from the stores never show up in error
// messages, in fmt output of Values and of what holds them, in log/slog
// output, in encoders' output or in panics, crashing or recovered.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"text/template"

	"github.com/alicebob/miniredis/v2"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/internal/awsfake"
	"github.com/s1crets/s1crets/providers/aws"
)

// The canaries: every secret of the fixtures contains canary, or is one of
// the numbers (which JSON error messages like to quote).
const (
	canary    = "LEAK-CANARY"
	canaryPin = "73195573195"
	canaryNum = "73195573196"

	leakPS      = "LEAK-CANARY-ps-7f1c"
	leakPSJSON  = `{"user":"LEAK-CANARY-psjson-user","pin":73195573195}`
	leakSM      = "LEAK-CANARY-sm-str-9d2e"
	leakSMJSON  = `{"user":"LEAK-CANARY-smjson-user","password":"LEAK-CANARY-smjson-pw","pin":73195573196,"list":[{"k":"LEAK-CANARY-smjson-list0"}],"flag":true}`
	leakUpdate  = "LEAK-CANARY-update-NOT-ALLOWED"
	leakUpdate2 = "LEAK-CANARY-update-denied"
)

var leakBin = []byte("LEAK-CANARY-bin-\x00\x01\xfe")

// needles are the forms in which a secret could show: as is, hex (fmt's
// %x of a string or []byte), base64 (a []byte in JSON), and the numbers.
var needles = func() []string {
	n := []string{canary, canaryPin, canaryNum}
	for _, s := range []string{canary, string(leakBin)} {
		n = append(n, hex.EncodeToString([]byte(s)), strings.ToUpper(hex.EncodeToString([]byte(s))))
	}
	n = append(n, base64.StdEncoding.EncodeToString(leakBin))
	n = append(n, fmt.Sprintf("% x", canary), fmt.Sprint([]byte(canary))) // %v of a []byte: [76 69 65 ...]
	return n
}()

func assertNoLeak(t *testing.T, what, out string) bool {
	t.Helper()
	for _, n := range needles {
		if strings.Contains(out, n) {
			return assert.Fail(t, "secret leaked", "%s contains %q:\n%s", what, n, out)
		}
	}
	return true
}

// leakFixture is a fake holding the canaries, and a provider of each kind.
type leakFixture struct {
	f  *awsfake.Server
	ps *aws.ParameterStore
	sm *aws.SecretsManager
}

func newLeakFixture(t *testing.T) leakFixture {
	t.Helper()
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/leak/ps", Value: leakPS, Type: "SecureString"})
	f.PutParameter(awsfake.Parameter{Name: "/leak/json", Value: leakPSJSON, Type: "SecureString"})
	f.PutParameter(awsfake.Parameter{Name: "/leak/pattern", Value: "abc", Type: "String", AllowedPattern: "^[a-z]+$"})
	f.PutSecretString("leak/str", leakSM)
	f.PutSecretString("leak/json", leakSMJSON)
	f.PutSecretBinary("leak/bin", leakBin)
	return leakFixture{f: f, ps: newPS(t, f, s1crets.Retry(1)), sm: newSM(t, f, s1crets.Retry(1))}
}

// values reads every fixture, as Values and as what holds them.
func (x leakFixture) values(t *testing.T) map[string]s1crets.Value {
	t.Helper()
	out := map[string]s1crets.Value{}
	for _, path := range []string{"/leak/ps", "/leak/json", aws.ReferencePrefix + "leak/json", aws.ReferencePrefix + "leak/bin"} {
		v, err := x.ps.Get(ctx, path)
		require.NoError(t, err, path)
		out["ps:"+path] = v
	}
	for _, path := range []string{"leak/str", "leak/json", "leak/bin"} {
		v, err := x.sm.Get(ctx, path)
		require.NoError(t, err, path)
		out["sm:"+path] = v
	}
	for name, keys := range map[string][]string{
		"user": {"user"}, "pin": {"pin"}, "list": {"list"}, "list.k": {"list", "k"}, "list.0": {"list", "0"},
	} {
		v, err := x.sm.Get(ctx, "leak/json", s1crets.KeyPath(keys...))
		require.NoError(t, err, name)
		out["sm:leak/json:"+name] = v
	}
	require.Contains(t, out["sm:leak/json:pin"].Text(), canaryNum, "the fixtures hold the canaries")
	require.Equal(t, leakBin, out["sm:leak/bin"].Bytes())
	return out
}

// Every failing operation that can be provoked on the fixtures: errors name
// keys, paths, types and AWS codes, never a value.
func TestLeakErrors(t *testing.T) {
	x := newLeakFixture(t)
	vals := x.values(t)
	var errs []error
	try := func(err error) {
		t.Helper()
		require.Error(t, err)
		errs = append(errs, err)
	}
	get := func(p s1crets.Provider, path string, opts ...s1crets.Option) error {
		_, err := p.Get(ctx, path, opts...)
		return err
	}

	// Key paths that do not exist, or that go into a plain or binary secret.
	for _, keys := range [][]string{
		{"nope"}, {"user", "deeper"}, {"pin", "x"}, {"list", "5"}, {"list", "nope"}, {"list", "k", "x"},
		{"flag", "x"}, {"list", "0", "k", "x"},
	} {
		try(get(x.sm, "leak/json", s1crets.KeyPath(keys...)))
		try(get(x.ps, "/leak/json", s1crets.KeyPath(keys...)))
		try(get(x.ps, aws.ReferencePrefix+"leak/json/"+strings.Join(keys, "/")))
	}
	for _, p := range []struct {
		p    s1crets.Provider
		path string
	}{{x.sm, "leak/str"}, {x.sm, "leak/bin"}, {x.ps, "/leak/ps"}, {x.ps, aws.ReferencePrefix + "leak/str"}} {
		try(get(p.p, p.path, s1crets.KeyPath("x")))
		try(get(p.p, p.path, s1crets.KeyPath("x", "y")))
	}
	try(get(x.ps, aws.ReferencePrefix+"leak/str/extra"))
	for _, v := range vals {
		_, err := v.Lookup("no-such-key")
		try(err)
	}

	// Decode type errors: the JSON values must not be quoted.
	var (
		intUser struct {
			User int `json:"user"`
		}
		strPin struct {
			Pin string `json:"pin"`
		}
		boolList struct {
			List []bool `json:"list"`
		}
		sl   []int
		num  int
		echo echoUnmarshaler
	)
	for _, path := range []string{"sm:leak/json", "ps:/leak/json", "ps:" + aws.ReferencePrefix + "leak/json"} {
		v := vals[path]
		try(v.Decode(&intUser))
		try(v.Decode(&strPin))
		if strings.Contains(v.Text(), `"list"`) {
			try(v.Decode(&boolList))
		}
		try(v.Decode(&sl))
		try(v.Decode(&num))
		try(v.Decode(&echo))
		try(v.Decode(intUser)) // not a pointer
		try(v.Decode(nil))
	}
	try(vals["sm:leak/json:pin"].Decode(new(string)))
	try(vals["sm:leak/json:user"].Decode(new(int)))
	try(vals["sm:leak/json:list"].Decode(new(map[string]int)))
	for _, path := range []string{"sm:leak/str", "sm:leak/bin", "ps:/leak/ps"} {
		try(vals[path].Decode(new(any)))
	}

	// Update: the new value is the caller's secret.
	try(x.ps.Update(ctx, "/leak/pattern", leakUpdate)) // AllowedPattern mismatch
	try(x.ps.Update(ctx, "/leak/ps", leakUpdate+strings.Repeat("x", 5000)))
	try(x.ps.Update(ctx, "/leak/missing", leakUpdate))
	try(x.sm.Update(ctx, "leak/missing", leakUpdate))
	try(x.ps.Update(ctx, "/leak/ps", leakUpdate, s1crets.KeyPath("x")))
	try(x.ps.Update(ctx, "", leakUpdate))
	try(x.ps.Update(ctx, "not a valid name!", leakUpdate))
	for _, fault := range []awsfake.Fault{awsfake.AccessDenied, awsfake.KMSAccessDenied, awsfake.InvalidKeyID, awsfake.Throttling, awsfake.InternalError} {
		x.f.FailNext("PutParameter", 1, fault)
		try(x.ps.Update(ctx, "/leak/ps", leakUpdate2))
		x.f.FailNext("PutSecretValue", 1, fault)
		try(x.sm.Update(ctx, "leak/str", leakUpdate2))
		x.f.FailNext("PutSecretValue", 1, fault)
		try(x.sm.Update(ctx, "leak/bin", leakUpdate2))
	}

	// An AWS message that echoes the value passed to Update, as some
	// ValidationException messages do ("Value '...' at 'value' failed ...").
	echoes := awsfake.Fault{Code: "ValidationException", Message: "1 validation error detected: Value '" + leakUpdate2 + "' at 'value' failed to satisfy constraint"}
	// Update withholds AWS's message and names its code; the SDK's error,
	// reachable with errors.As, keeps AWS's text as it is.
	x.f.FailNext("PutParameter", 1, echoes)
	echoed := []error{x.ps.Update(ctx, "/leak/ps", leakUpdate2)}
	x.f.FailNext("PutSecretValue", 1, echoes)
	echoed = append(echoed, x.sm.Update(ctx, "leak/str", leakUpdate2))
	for _, err := range echoed {
		require.Error(t, err)
		var ae smithy.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "ValidationException", ae.ErrorCode())
		assert.Equal(t, echoes.Message, ae.ErrorMessage())
		assert.Contains(t, err.Error(), "(ValidationException)")
		assert.Contains(t, err.Error(), "withheld")
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			assertNoLeak(t, "echoed Update error "+verb, fmt.Sprintf(verb, err))
		}
	}

	// AWS errors on reads, answered with the fake's fixed messages.
	for _, fault := range []awsfake.Fault{awsfake.AccessDenied, awsfake.KMSAccessDenied, awsfake.DecryptionFailure, awsfake.InvalidKeyID, awsfake.Throttling, {Drop: true}} {
		x.f.FailNext("GetParameter", 1, fault)
		try(get(x.ps, "/leak/ps", s1crets.NoCache()))
		x.f.FailNext("GetSecretValue", 1, fault)
		try(get(x.sm, "leak/json", s1crets.NoCache()))
		x.f.FailNext("GetParametersByPath", 1, fault)
		_, err := x.ps.GetByPath(ctx, "/leak", s1crets.NoCache())
		try(err)
	}
	x.f.Deny("GetSecretValue") // the batch read reports each secret in Errors
	_, err := x.sm.GetByPath(ctx, "leak/", s1crets.NoCache())
	try(err)
	x.f.Deny("BatchGetSecretValue") // one by one
	_, err = x.sm.GetByPath(ctx, "leak/", s1crets.NoCache())
	try(err)
	x.f.Allow("GetSecretValue")
	x.f.Allow("BatchGetSecretValue")

	// Bad options.
	_, err = x.sm.GetByPath(ctx, "leak/", s1crets.KeyPath("user"))
	try(err)
	_, err = x.ps.PathExists(ctx, "/leak/ps", s1crets.Default(leakUpdate))
	try(err)

	require.Greater(t, len(errs), 100)
	for _, err := range errs {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			assertNoLeak(t, "error "+verb, fmt.Sprintf(verb, err))
		}
		for e := err; e != nil; e = errors.Unwrap(e) { // every link of the chain
			assertNoLeak(t, fmt.Sprintf("wrapped %T", e), e.Error())
		}
		assert.True(t, strings.HasPrefix(err.Error(), "s1crets: "), err.Error())
	}
	t.Logf("%d errors checked, e.g. %v", len(errs), errs[len(errs)-10])
}

// echoUnmarshaler's error quotes its input, as some unmarshalers' do.
type echoUnmarshaler struct{}

func (*echoUnmarshaler) UnmarshalJSON(b []byte) error { return fmt.Errorf("cannot use %s", b) }

// holder is a struct such as programs keep secrets in.
type holder struct {
	Name     string
	Exported s1crets.Value
	hidden   s1crets.Value
	Ptr      *s1crets.Value
	ptr      *s1crets.Value
	Map      map[string]s1crets.Value
	m        map[string]s1crets.Value
	Slice    []s1crets.Value
	s        []s1crets.Value
	Array    [2]s1crets.Value
	Any      any
	anything any
	Inner    struct{ V s1crets.Value }
	inner    struct{ v s1crets.Value }
}

func holders(vals map[string]s1crets.Value) map[string]any {
	out := map[string]any{"map": vals}
	var all []s1crets.Value
	for name, v := range vals {
		h := holder{
			Name: name, Exported: v, hidden: v, Ptr: &v, ptr: &v,
			Map: map[string]s1crets.Value{"k": v}, m: map[string]s1crets.Value{"k": v},
			Slice: []s1crets.Value{v}, s: []s1crets.Value{v}, Array: [2]s1crets.Value{v, v},
			Any: v, anything: v,
		}
		h.Inner.V, h.inner.v = v, v
		out[name] = v
		out[name+"/ptr"] = &v
		out[name+"/holder"] = h
		out[name+"/holder-ptr"] = &h
		out[name+"/any-map"] = map[string]any{"v": v, "nested": map[any]any{v: v}}
		out[name+"/reflect"] = reflect.ValueOf(v)
		all = append(all, v)
	}
	out["slice"] = all
	out["any-slice"] = []any{all, &all}
	return out
}

// fmt output of Values and of maps, slices, structs (exported and
// unexported fields, pointers) holding them.
func TestLeakFormat(t *testing.T) {
	x := newLeakFixture(t)
	vals := x.values(t)
	m, err := x.sm.GetByPath(ctx, "leak/")
	require.NoError(t, err)
	require.Len(t, m, 3)
	for k, v := range m {
		vals["get-by-path:"+k] = v
	}
	for name, h := range holders(vals) {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%p", "%T", "%08.3x", "%-12v"} {
			assertNoLeak(t, name+" "+verb, fmt.Sprintf(verb, h))
		}
		assertNoLeak(t, name+" Sprint", fmt.Sprint(h))
		assertNoLeak(t, name+" Sprintln", fmt.Sprintln(h, h))
	}
	assert.Equal(t, s1crets.Redacted, fmt.Sprint(vals["sm:leak/str"]))
	assert.Equal(t, s1crets.Redacted, fmt.Sprintf("%#v", vals["sm:leak/bin"]))
}

// Encoders and templates print the redaction.
func TestLeakEncoders(t *testing.T) {
	x := newLeakFixture(t)
	vals := x.values(t)
	for name, h := range holders(vals) {
		if b, err := json.Marshal(h); err == nil {
			assertNoLeak(t, name+" json", string(b))
		}
		if b, err := xml.Marshal(h); err == nil {
			assertNoLeak(t, name+" xml", string(b))
		} else {
			assertNoLeak(t, name+" xml error", err.Error())
		}
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(h); err != nil {
			assertNoLeak(t, name+" gob error", err.Error())
		} else {
			assertNoLeak(t, name+" gob", buf.String())
		}
		buf.Reset()
		tmpl := template.Must(template.New("t").Parse(`{{.}} {{printf "%q %x" . .}}`))
		if err := tmpl.Execute(&buf, h); err != nil {
			assertNoLeak(t, name+" template error", err.Error())
		}
		assertNoLeak(t, name+" template", buf.String())
	}
	b, err := json.Marshal(vals)
	require.NoError(t, err)
	assert.Contains(t, string(b), s1crets.Redacted)
}

// log/slog, with the text and the JSON handlers, and the log package.
func TestLeakLogs(t *testing.T) {
	x := newLeakFixture(t)
	vals := x.values(t)
	_, lookupErr := vals["sm:leak/json"].Lookup("user", "x")
	updateErr := x.ps.Update(ctx, "/leak/pattern", leakUpdate)
	require.Error(t, updateErr)

	var buf bytes.Buffer
	opts := &slog.HandlerOptions{Level: slog.LevelDebug, AddSource: true}
	for _, logger := range []*slog.Logger{
		slog.New(slog.NewTextHandler(&buf, opts)),
		slog.New(slog.NewJSONHandler(&buf, opts)),
	} {
		for name, h := range holders(vals) {
			logger.Info("secret", "name", name, "value", h)
			logger.Debug("attr", slog.Any("value", h), slog.Group("g", slog.Any("inner", h)))
			logger.With("with", h).WithGroup("wg").Warn("with", "again", h)
			logger.LogAttrs(ctx, slog.LevelError, "attrs", slog.Any("v", h), slog.String("s", fmt.Sprint(h)))
		}
		logger.Error("failed", "err", lookupErr, "update", updateErr)
	}
	log.New(&buf, "", 0).Printf("%v %+v %s", vals, vals, vals)
	out := buf.String()
	assertNoLeak(t, "logs", out)
	assert.Contains(t, out, s1crets.Redacted)
	assert.Contains(t, out, `"value":"[REDACTED]"`, "the JSON handler")
	assert.Contains(t, out, "value=[REDACTED]", "the text handler")
}

// Recovered panics: panic(value), panic(fmt.Sprint(value)), panic(err).
func TestLeakRecoveredPanic(t *testing.T) {
	x := newLeakFixture(t)
	vals := x.values(t)
	_, err := vals["sm:leak/json"].Lookup("user", "x")
	require.Error(t, err)
	recovered := func(f func()) (r any) {
		defer func() { r = recover() }()
		f()
		return nil
	}
	for name, v := range vals {
		for what, f := range map[string]func(){
			"value":        func() { panic(v) },
			"sprint":       func() { panic(fmt.Sprint(v)) },
			"sprintf %+v":  func() { panic(fmt.Sprintf("%+v", v)) },
			"error":        func() { panic(fmt.Errorf("wrapped %v: %w", v, err)) },
			"holder":       func() { panic(holders(map[string]s1crets.Value{name: v})) },
			"map of value": func() { panic(map[string]s1crets.Value{name: v}) },
		} {
			r := recovered(f)
			require.NotNil(t, r)
			assertNoLeak(t, name+" "+what, fmt.Sprint(r))
			assertNoLeak(t, name+" "+what+" %#v", fmt.Sprintf("%#v", r))
		}
	}
}

// A panic that ends the process: the runtime prints the panic value (a
// Value's String, a map's address) and, with GOTRACEBACK=all, every
// goroutine's stack with raw argument words, never the secret's bytes.
func TestLeakCrashOutput(t *testing.T) {
	if mode := os.Getenv("S1CRETS_LEAK_CRASH"); mode != "" {
		crash(t, mode)
		t.Fatal("crash did not panic")
	}
	if testing.Short() {
		t.Skip("runs the test binary again")
	}
	for _, mode := range []string{"value", "sprint", "map", "holder", "error", "argument", "goroutine"} {
		t.Run(mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestLeakCrashOutput$", "-test.count=1")
			cmd.Env = append(os.Environ(), "S1CRETS_LEAK_CRASH="+mode, "GOTRACEBACK=all")
			out, err := cmd.CombinedOutput()
			require.Error(t, err, "the child crashes:\n%s", out)
			require.Contains(t, string(out), "panic: ", "%s", out)
			assert.NotContains(t, string(out), "crash did not panic")
			assertNoLeak(t, "crash output", string(out))
			if mode == "value" {
				assert.Contains(t, string(out), "panic: "+s1crets.Redacted)
			}
		})
	}
}

// crash reads the fixtures and panics in the way mode says.
func crash(t *testing.T, mode string) {
	x := newLeakFixture(t)
	vals := x.values(t)
	v := vals["sm:leak/json:user"]
	_, err := vals["sm:leak/json"].Lookup("user", "x")
	switch mode {
	case "value":
		panic(v)
	case "sprint":
		panic(fmt.Sprint(v))
	case "map":
		panic(vals)
	case "holder":
		panic(holder{Exported: v, hidden: v, m: vals})
	case "error":
		panic(err)
	case "argument":
		crashWith(v, v.Text(), vals, holder{hidden: v})
	case "goroutine":
		done := make(chan struct{})
		go func() { crashWith(v, v.Text(), vals, holder{hidden: v}); close(done) }()
		<-done
	}
}

//go:noinline
func crashWith(v s1crets.Value, text string, m map[string]s1crets.Value, h holder) {
	if context.Background() != nil { // always: keeps the arguments live
		panic(fmt.Sprintf("crash with %v (%d bytes), %d values, %v", v, len(text), len(m), h.hidden))
	}
}

// testCacheKey is a fixed AES-256 key for the encrypted tiers.
var testCacheKey = s1crets.CacheKey(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0x5a}, 32)))

// exercise reads and updates every fixture through p.
func exercise(t *testing.T, x leakFixture, ps, sm s1crets.Provider) {
	t.Helper()
	for _, path := range []string{"/leak/ps", "/leak/json", aws.ReferencePrefix + "leak/json", aws.ReferencePrefix + "leak/bin"} {
		_, err := ps.Get(ctx, path)
		require.NoError(t, err, path)
	}
	for _, path := range []string{"leak/str", "leak/json", "leak/bin"} {
		_, err := sm.Get(ctx, path, s1crets.KeyPath())
		require.NoError(t, err, path)
	}
	_, err := sm.Get(ctx, "leak/json", s1crets.KeyPath("user"))
	require.NoError(t, err)
	_, err = ps.GetByPath(ctx, "/leak")
	require.NoError(t, err)
	_, err = sm.GetByPath(ctx, "leak/")
	require.NoError(t, err)
	require.NoError(t, ps.Update(ctx, "/leak/ps", "LEAK-CANARY-updated-ps"))
	require.NoError(t, sm.Update(ctx, "leak/str", "LEAK-CANARY-updated-sm"))
	v, err := sm.Get(ctx, "leak/str")
	require.NoError(t, err)
	require.Equal(t, "LEAK-CANARY-updated-sm", v.Text())
	_, err = ps.Get(ctx, "/leak/ps")
	require.NoError(t, err)
}

// Encrypted disk cache files hold no secret in any form (file names
// included); a provider with the same key reads them back, one with another
// key does not.
func TestLeakDiskCacheFiles(t *testing.T) {
	t.Setenv("S1CRETS_CACHE_KEY", "")
	x := newLeakFixture(t)
	dir := t.TempDir()
	cfg := s1crets.CacheConfig{
		OnDisk: true, KeyCacheDir: dir + "/keys", PathCacheDir: dir + "/paths", EncryptionKey: testCacheKey,
	}
	ps := newPS(t, x.f, s1crets.Cache(cfg))
	sm := newSM(t, x.f, s1crets.Cache(cfg))
	exercise(t, x, ps, sm)

	files := 0
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		assertNoLeak(t, "a cache file name", path)
		info, err := d.Info()
		require.NoError(t, err)
		if d.IsDir() {
			if path == dir {
				return nil // made by the test
			}
			assert.Zero(t, info.Mode().Perm()&0o077, "%s: %v", path, info.Mode())
			return nil
		}
		assert.Equal(t, fs.FileMode(0o600), info.Mode().Perm(), path)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		if len(b) > 0 {
			files++
		}
		assertNoLeak(t, "cache file "+path, string(b))
		assert.NotContains(t, string(b), "admin", path)
		return nil
	}))
	require.Greater(t, files, 5, "the disk tier was written")

	// The files do hold the values: a new process (provider) with the same
	// key reads them without asking the store.
	x.f.ResetCalls()
	again := newSM(t, x.f, s1crets.Cache(cfg))
	v, err := again.Get(ctx, "leak/json", s1crets.KeyPath("user"))
	require.NoError(t, err)
	assert.Equal(t, "LEAK-CANARY-smjson-user", v.Text())
	assert.Zero(t, x.f.Calls("GetSecretValue"), "read from the disk tier")
	assert.Equal(t, 1, x.f.Calls("GetCallerIdentity"), "the new provider asked who it is, once")
	assert.Equal(t, 1, x.f.TotalCalls(), "GetCallerIdentity only: %v", x.f.Requests())

	other := cfg
	other.EncryptionKey = s1crets.CacheKey(base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xa5}, 32)))
	wrong := newSM(t, x.f, s1crets.Cache(other))
	v, err = wrong.Get(ctx, "leak/json", s1crets.KeyPath("user"))
	require.NoError(t, err)
	assert.Equal(t, "LEAK-CANARY-smjson-user", v.Text())
	assert.Equal(t, 1, x.f.Calls("GetSecretValue"), "another key cannot read the files: a miss")
}

// Encrypted Redis entries hold no secret in any form, keys included.
func TestLeakRedisEntries(t *testing.T) {
	t.Setenv("S1CRETS_CACHE_KEY", "")
	x := newLeakFixture(t)
	m := miniredis.RunT(t)
	cfg := s1crets.CacheConfig{RedisURL: m.Addr(), EncryptionKey: testCacheKey}
	ps := newPS(t, x.f, s1crets.Cache(cfg))
	sm := newSM(t, x.f, s1crets.Cache(cfg))
	exercise(t, x, ps, sm)

	keys := m.Keys()
	require.NotEmpty(t, keys, "the Redis tier was written")
	strs := 0
	for _, k := range keys {
		assertNoLeak(t, "a Redis key", k)
		if s, err := m.Get(k); err == nil {
			strs++
			assertNoLeak(t, "Redis entry "+k, s)
			assert.NotContains(t, s, "admin", k)
		}
	}
	require.Positive(t, strs)
	assertNoLeak(t, "Redis dump", m.Dump())
}

// The cache key is a secret too: a bad one is refused without being
// quoted, and a CacheConfig prints it redacted.
func TestLeakCacheKey(t *testing.T) {
	const bad = "LEAK-CANARY-not-a-valid-key"
	cfg := s1crets.CacheConfig{OnDisk: true, KeyCacheDir: t.TempDir(), PathCacheDir: t.TempDir(), EncryptionKey: bad}
	f := newFake(t)
	_, err := aws.NewSecretsManager(ctx, aws.WithConfig(f.Config(ctx)), s1crets.Cache(cfg))
	require.Error(t, err)
	assertNoLeak(t, "bad EncryptionKey error", err.Error())
	_, err = s1crets.Open(ctx, "aws.sm", s1crets.Cache(cfg))
	require.Error(t, err)
	assertNoLeak(t, "bad EncryptionKey error from Open", err.Error())

	t.Setenv("S1CRETS_CACHE_KEY", bad)
	cfg.EncryptionKey = ""
	_, err = aws.NewSecretsManager(ctx, aws.WithConfig(f.Config(ctx)), s1crets.Cache(cfg))
	require.Error(t, err)
	assertNoLeak(t, "bad S1CRETS_CACHE_KEY error", err.Error())

	cfg.EncryptionKey = testCacheKey
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		out := fmt.Sprintf(verb, cfg)
		assert.NotContains(t, out, string(testCacheKey), verb)
		assert.NotContains(t, out, hex.EncodeToString([]byte(testCacheKey)), verb)
	}
}
