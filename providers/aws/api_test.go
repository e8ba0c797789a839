package aws_test

// Tables over the whole public API of the module: every error is an
// *s1crets.Error, a nil context is a clear ErrInvalid error (never a
// panic), and an option that does not apply to a store or an operation is
// refused before any remote call.

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/driver"
	"github.com/s1crets/s1crets/internal/awsfake"
	"github.com/s1crets/s1crets/providers/aws"
	"github.com/s1crets/s1crets/providers/memory"
	"github.com/s1crets/s1crets/redistier"
)

// apiStores are the three stores of the module over one fake AWS, each
// holding a secret at path and one below dir.
type apiStore struct {
	name      string
	c         *s1crets.Client
	path, dir string
	calls     func() int // remote calls so far
}

func apiStores(t *testing.T) []apiStore {
	f := newFake(t)
	f.PutParameter(awsfake.Parameter{Name: "/t/p", Value: `{"k":"v"}`, Type: "SecureString"})
	f.PutSecretString("t/s", `{"k":"v"}`)
	ps, sm := newPS(t, f), newSM(t, f)
	mem, err := memory.New(map[string]string{"/t/p": `{"k":"v"}`})
	require.NoError(t, err)
	closeAtEnd(t, mem)
	return []apiStore{
		{"aws.ps", ps.Client, "/t/p", "/t", f.TotalCalls},
		{"aws.sm", sm.Client, "t/s", "t/", f.TotalCalls},
		{"memory", mem.Client, "/t/p", "/t", func() int { return int(mem.Calls()) }},
	}
}

// assertError checks that err is an *s1crets.Error itself, whose message
// starts "s1crets: " and holds one line.
func assertError(t *testing.T, what string, err error) {
	t.Helper()
	if !assert.Error(t, err, what) {
		return
	}
	_, ok := err.(*s1crets.Error)
	assert.True(t, ok, "%s: %T is not an *s1crets.Error: %v", what, err, err)
	assert.True(t, strings.HasPrefix(err.Error(), "s1crets: "), "%s: %v", what, err)
	assert.NotContains(t, err.Error(), "\n", what)
	assert.Equal(t, 1, strings.Count(err.Error(), "s1crets: "), "%s: one prefix: %v", what, err)
}

// TestNilContext: every exported function and method that takes a context
// refuses a nil one with a clear ErrInvalid error, never a panic, also for
// a secret that the cache holds.
func TestNilContext(t *testing.T) {
	closeMemoized(t)
	var nilCtx context.Context
	calls := map[string]func() error{
		"s1crets.Get":        func() error { _, err := s1crets.Get(nilCtx, "memory", "/p"); return err },
		"s1crets.GetByPath":  func() error { _, err := s1crets.GetByPath(nilCtx, "memory", "/p"); return err },
		"s1crets.GetMany":    func() error { _, err := s1crets.GetMany(nilCtx, "memory", []string{"/p"}); return err },
		"s1crets.Update":     func() error { return s1crets.Update(nilCtx, "memory", "/p", "v") },
		"s1crets.PathExists": func() error { _, err := s1crets.PathExists(nilCtx, "memory", "/p"); return err },
		"s1crets.Get Retry":  func() error { _, err := s1crets.Get(nilCtx, "memory", "/p", s1crets.Retry(2)); return err },
		"s1crets.Open":       func() error { _, err := s1crets.Open(nilCtx, "memory"); return err },
		"s1crets.New": func() error {
			_, err := s1crets.New(nilCtx, "x", func(context.Context, driver.Config) (driver.Store, error) { return nil, nil })
			return err
		},
		"aws.NewParameterStore": func() error { _, err := aws.NewParameterStore(nilCtx, aws.WithRegion("eu-west-1")); return err },
		"aws.NewSecretsManager": func() error { _, err := aws.NewSecretsManager(nilCtx, aws.WithRegion("eu-west-1")); return err },
	}
	for _, s := range apiStores(t) {
		_, err := s.c.Get(ctx, s.path) // cached: a hit must be refused too
		require.NoError(t, err)
		_, err = s.c.GetByPath(ctx, s.dir)
		require.NoError(t, err)
		c, path, dir := s.c, s.path, s.dir
		for name, f := range map[string]func() error{
			"Get":         func() error { _, err := c.Get(nilCtx, path); return err },
			"Get KeyPath": func() error { _, err := c.Get(nilCtx, path, s1crets.KeyPath("k")); return err },
			"Get NoCache": func() error { _, err := c.Get(nilCtx, path, s1crets.NoCache()); return err },
			"GetByPath":   func() error { _, err := c.GetByPath(nilCtx, dir); return err },
			"GetMany":     func() error { _, err := c.GetMany(nilCtx, []string{path}); return err },
			"GetMany nil": func() error { _, err := c.GetMany(nilCtx, nil); return err },
			"Update":      func() error { return c.Update(nilCtx, path, `{"k":"w"}`) },
			"PathExists":  func() error { _, err := c.PathExists(nilCtx, path); return err },
			"PathExists KeyPath": func() error {
				_, err := c.PathExists(nilCtx, path, s1crets.KeyPath("k"))
				return err
			},
		} {
			calls[s.name+"."+name] = f
		}
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { err = call() })
			require.Error(t, err)
			assertError(t, name, err)
			assert.ErrorIs(t, err, s1crets.ErrInvalid, name)
			assert.Contains(t, err.Error(), "nil context.Context", name)
		})
	}
}

// closeFails is an empty store whose Close fails.
type closeFails struct{}

func (closeFails) Get(context.Context, string, driver.Query) (driver.Secret, error) {
	return driver.Secret{}, driver.ErrNotFound
}

func (closeFails) GetByPath(context.Context, string, driver.Query) (map[string]driver.Secret, error) {
	return nil, nil
}

func (closeFails) Update(context.Context, string, string) (string, error) {
	return "", driver.ErrNotFound
}

func (closeFails) Close() error { return errors.New("close failed") }

func init() {
	s1crets.Register("test.aws.closefails", func(ctx context.Context, cfg driver.Config) (driver.Store, error) {
		return closeFails{}, nil
	})
}

// errorFuncs lists the exported functions and methods of the module's
// user packages that return an error, as "pkg.Func" or "pkg.Type.Method",
// parsed from their source so that a new one cannot be missed.
func errorFuncs(t *testing.T) []string {
	var out []string
	for _, dir := range []string{"../..", "../memory", ".", "../../redistier"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
			require.NoError(t, err)
			for _, d := range file.Decls {
				if name := errorFunc(file.Name.Name, d); name != "" {
					out = append(out, name)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// errorFunc names d when it is an exported function, or a method of an
// exported type, that returns an error.
func errorFunc(pkg string, d ast.Decl) string {
	fd, ok := d.(*ast.FuncDecl)
	if !ok || !fd.Name.IsExported() || fd.Type.Results == nil {
		return ""
	}
	returnsError := false
	for _, r := range fd.Type.Results.List {
		if id, ok := r.Type.(*ast.Ident); ok && id.Name == "error" {
			returnsError = true
		}
	}
	if !returnsError {
		return ""
	}
	if fd.Recv == nil {
		return pkg + "." + fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	if st, ok := typ.(*ast.StarExpr); ok {
		typ = st.X
	}
	if id, ok := typ.(*ast.Ident); ok && id.IsExported() {
		return pkg + "." + id.Name + "." + fd.Name.Name
	}
	return ""
}

// TestEveryErrorIsError: each exported function and method of package
// s1crets and of the provider and tier packages returns *s1crets.Error for
// each of its failures tried here, and the table covers all of them.
func TestEveryErrorIsError(t *testing.T) {
	closeMemoized(t)
	stores := apiStores(t)
	badKey := s1crets.Cache(s1crets.CacheConfig{EncryptionKey: "not-a-key"})
	badRedis := s1crets.Cache(s1crets.CacheConfig{RedisURL: "redis://user:pw@host:port/0", RedisPlaintext: true})
	v := s1crets.NewValue(`{"a":[1],"s":"x"}`)
	fail := func(context.Context, driver.Config) (driver.Store, error) { return nil, errors.New("cannot build") }
	closeFailing := func() error {
		c, err := s1crets.New(ctx, "x", func(context.Context, driver.Config) (driver.Store, error) {
			return closeFails{}, nil
		})
		require.NoError(t, err)
		return c.Close()
	}
	errs := map[string][]error{
		"s1crets.Get": {
			second(s1crets.Get(ctx, "nope", "/p")),
			second(s1crets.Get(ctx, "memory", "/p")),
			second(s1crets.Get(ctx, "memory", "/p", s1crets.Retry(0))),
			second(s1crets.Get(ctx, "memory", "")),
		},
		"s1crets.GetByPath":  {second(s1crets.GetByPath(ctx, "nope", "/p")), second(s1crets.GetByPath(ctx, "memory", "/p", s1crets.Default("x")))},
		"s1crets.GetMany":    {second(s1crets.GetMany(ctx, "nope", []string{"/p"})), second(s1crets.GetMany(ctx, "memory", nil))},
		"s1crets.Update":     {s1crets.Update(ctx, "nope", "/p", "v"), s1crets.Update(ctx, "memory", "/p", "v")},
		"s1crets.PathExists": {second(s1crets.PathExists(ctx, "nope", "/p")), second(s1crets.PathExists(ctx, "memory", ""))},
		"s1crets.Open": {
			second(s1crets.Open(ctx, "nope")),
			second(s1crets.Open(ctx, "memory", s1crets.KeyPath("k"))),
			second(s1crets.Open(ctx, "memory", badKey)),
			second(s1crets.Open(ctx, "memory", badRedis)),
		},
		"s1crets.New": {
			second(s1crets.New(ctx, "x", nil)),
			second(s1crets.New(ctx, "x", fail)),
			second(s1crets.New(ctx, "x", fail, badKey)),
			second(s1crets.New(ctx, "x", func(context.Context, driver.Config) (driver.Store, error) { return nil, nil })),
		},
		"s1crets.Close": {func() error {
			for _, o := range []s1crets.Option{s1crets.Retry(2), s1crets.Retry(3)} {
				_, err := s1crets.Open(ctx, "test.aws.closefails", o)
				require.NoError(t, err)
			}
			return s1crets.Close()
		}()},
		"s1crets.Client.Close":         {closeFailing()},
		"s1crets.CacheConfig.Validate": {s1crets.CacheConfig{Size: -1}.Validate(), s1crets.CacheConfig{EncryptionKey: "x"}.Validate()},
		"s1crets.Many.Err": {
			s1crets.Many{Missing: []string{"/a"}}.Err(),
			s1crets.Many{Failed: map[string]error{"/b": errors.New("x")}}.Err(),
		},
		"s1crets.Value.Decode": {v.Decode(nil), v.Decode(new(int)), s1crets.NewValue("plain").Decode(new(any)), v.Decode(&struct{ A string }{})},
		"s1crets.Value.Lookup": {second(v.Lookup("nope")), second(v.Lookup("a", "1")), second(v.Lookup("s", "k")), second(s1crets.NewValue("x").Lookup("k"))},
		"aws.NewParameterStore": {
			second(aws.NewParameterStore(ctx, aws.WithRegion(""))),
			second(aws.NewParameterStore(ctx, s1crets.NoCache())),
			second(aws.NewParameterStore(ctx, aws.WithRegion("x"), badKey)),
			second(aws.NewParameterStore(ctx, memory.WithIdentity("x"))),
		},
		"aws.NewSecretsManager": {
			second(aws.NewSecretsManager(ctx, aws.WithAssumeRole("", ""))),
			second(aws.NewSecretsManager(ctx, aws.WithRegion("x"), badRedis)),
		},
		"memory.New": {
			second(memory.New(nil, badKey)),
			second(memory.New(nil, badRedis)),
			second(memory.New(nil, memory.WithIdentity(""))),
			second(memory.New(nil, aws.WithRegion("x"))),
			second(memory.New(nil, s1crets.Default("x"))),
		},
	}
	for _, s := range stores {
		c := s.c
		many, err := c.GetMany(ctx, []string{s.path, s.path + "x"}, s1crets.KeyPath("nope"))
		require.NoError(t, err)
		errs["s1crets.Client.Get"] = append(errs["s1crets.Client.Get"],
			second(c.Get(ctx, s.path+"x")), second(c.Get(ctx, s.path, s1crets.KeyPath("nope"))),
			second(c.Get(ctx, "")), second(c.Get(ctx, s.path, s1crets.Retry(2))))
		errs["s1crets.Client.GetByPath"] = append(errs["s1crets.Client.GetByPath"],
			second(c.GetByPath(ctx, s.dir, s1crets.KeyPath("k"))), second(c.GetByPath(ctx, "")))
		errs["s1crets.Client.GetMany"] = append(errs["s1crets.Client.GetMany"],
			second(c.GetMany(ctx, nil)), second(c.GetMany(ctx, []string{""})), many.Err())
		for _, err := range many.Failed {
			errs["s1crets.Client.GetMany"] = append(errs["s1crets.Client.GetMany"], err)
		}
		errs["s1crets.Client.Update"] = append(errs["s1crets.Client.Update"],
			c.Update(ctx, s.path+"x", "v"), c.Update(ctx, s.path, "v", s1crets.NoCache()))
		errs["s1crets.Client.PathExists"] = append(errs["s1crets.Client.PathExists"],
			second(c.PathExists(ctx, "")), second(c.PathExists(ctx, s.path, s1crets.Default("x"))))
		errs["s1crets.Client.Invalidate"] = append(errs["s1crets.Client.Invalidate"], c.Invalidate(ctx, ""))
		_, _, werr := c.Watch(ctx, s.path+"x", func(s1crets.Value) {})
		_, _, werr2 := c.Watch(ctx, s.path, nil)
		errs["s1crets.Client.Watch"] = append(errs["s1crets.Client.Watch"], werr, werr2)
	}
	errs["s1crets.Invalidate"] = []error{s1crets.Invalidate(ctx, "nope", "/p"), s1crets.Invalidate(ctx, "memory", "")}
	// A store's failure and a closed provider.
	f := newFake(t)
	ps := newPS(t, f)
	f.Deny("GetParameter")
	errs["s1crets.Client.Get"] = append(errs["s1crets.Client.Get"], second(ps.Get(ctx, "/denied")))
	require.NoError(t, ps.Close())
	errs["s1crets.Client.Get"] = append(errs["s1crets.Client.Get"], second(ps.Get(ctx, "/p")))
	f.PutSecretString("denied", "v")
	f.Deny("GetSecretValue") // the batch read reports the secret in its Errors
	many, err := newSM(t, f).GetMany(ctx, []string{"denied"})
	require.NoError(t, err)
	require.Len(t, many.Failed, 1)
	errs["s1crets.Client.GetMany"] = append(errs["s1crets.Client.GetMany"], many.Failed["denied"], many.Err())

	// Functions that never fail: they return an error for an interface.
	never := []string{"s1crets.Error.Unwrap", "s1crets.Value.MarshalJSON", "s1crets.Value.MarshalText"}
	funcs := errorFuncs(t)
	for _, name := range []string{"s1crets.Get", "s1crets.Client.Get", "s1crets.Value.Decode", "aws.NewParameterStore", "memory.New"} {
		require.Contains(t, funcs, name, "the parse finds the API")
	}
	for _, name := range funcs {
		if slices.Contains(never, name) {
			continue
		}
		if _, ok := errs[name]; !ok {
			t.Errorf("%s returns an error: add its failures to this table", name)
		}
	}
	for name, list := range errs {
		require.NotEmpty(t, list, name)
		for i, err := range list {
			assertError(t, fmt.Sprintf("%s #%d", name, i), err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// TestOptionsApply: every per-call option on every operation of every
// store: one that does not apply is an ErrInvalid error that names it,
// before any remote call; one that applies is not refused.
func TestOptionsApply(t *testing.T) {
	opts := map[string]s1crets.Option{
		"KeyPath": s1crets.KeyPath("k"), "Default": s1crets.Default("d"), "NoCache": s1crets.NoCache(),
		"Decrypt": s1crets.Decrypt(false), "Recursive": s1crets.Recursive(false),
		"VersionStage": s1crets.VersionStage("AWSCURRENT"), "VersionID": s1crets.VersionID("v1"),
		"FailOnError": s1crets.FailOnError(false),
	}
	// applies says whether option applies to op on store.
	applies := func(store, op, option string) bool {
		ps := store != "aws.sm" // the memory store has Parameter Store's semantics
		switch option {
		case "KeyPath":
			return op == "Get" || op == "GetMany" || op == "PathExists"
		case "Default":
			return op == "Get"
		case "NoCache":
			return op != "Update"
		case "Decrypt":
			return ps && op != "Update"
		case "Recursive":
			return ps && op == "GetByPath"
		case "VersionStage", "VersionID":
			return !ps && (op == "Get" || op == "GetMany" || op == "PathExists")
		case "FailOnError":
			return op == "GetByPath" && store != "aws.ps"
		}
		panic(option)
	}
	for _, s := range apiStores(t) {
		c := s.c
		ops := map[string]func(s1crets.Option) error{
			"Get":        func(o s1crets.Option) error { return second(c.Get(ctx, s.path, o)) },
			"GetByPath":  func(o s1crets.Option) error { return second(c.GetByPath(ctx, s.dir, o)) },
			"GetMany":    func(o s1crets.Option) error { return second(c.GetMany(ctx, []string{s.path}, o)) },
			"PathExists": func(o s1crets.Option) error { return second(c.PathExists(ctx, s.path, o)) },
			"Update":     func(o s1crets.Option) error { return c.Update(ctx, s.path, `{"k":"v"}`, o) },
		}
		for op, call := range ops {
			for option, o := range opts {
				t.Run(s.name+"/"+op+"/"+option, func(t *testing.T) {
					before := s.calls()
					err := call(o)
					if applies(s.name, op, option) {
						assert.False(t, errors.Is(err, s1crets.ErrInvalid), "refused: %v", err)
						return
					}
					require.Error(t, err, "accepted")
					assertError(t, option, err)
					assert.ErrorIs(t, err, s1crets.ErrInvalid)
					assert.Contains(t, err.Error(), option)
					assert.Equal(t, before, s.calls(), "no remote call")
				})
			}
		}
	}
}

// closeMemoized closes, when the test ends, the instances that Open and the
// simple API memoized.
func closeMemoized(t *testing.T) {
	t.Cleanup(func() { _ = s1crets.Close() })
}

// TestRedisURLErrorHidesCredentials: a malformed Redis URL given to a
// constructor is an ErrInvalid *s1crets.Error that matches
// redistier.ErrBadURL and shows neither the user nor the password
// (redistier's TestURLRedaction tries every kind of malformed URL).
func TestRedisURLErrorHidesCredentials(t *testing.T) {
	for _, url := range []string{"redis://admin:s3cretpw@cache:port/0", "redis://admin:s3cretpw@cache:6379/x", "rediss://admin:s3cretpw@cache:6379/0?dial_timeout=x"} {
		_, err := memory.New(nil, s1crets.Cache(s1crets.CacheConfig{RedisURL: url, RedisPlaintext: true}))
		require.Error(t, err)
		assertError(t, url, err)
		assert.ErrorIs(t, err, s1crets.ErrInvalid)
		assert.ErrorIs(t, err, redistier.ErrBadURL)
		assert.NotContains(t, err.Error(), "s3cret")
		assert.NotContains(t, err.Error(), "admin")
	}
}
