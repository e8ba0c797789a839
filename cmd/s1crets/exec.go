package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/s1crets/s1crets"
)

var execCmd = &command{
	name:    "exec",
	summary: "run a command with secrets as environment variables",
	help: `Usage: s1crets exec [FLAGS] (--path PATH | --secret [NAME=]PATH)... [--] CMD [ARG...]

Runs CMD with secrets added to its environment:
  --path PATH             the secrets below PATH, as get-by-path finds them
  --secret [NAME=]PATH    the secret at PATH, as get reads it, as variable NAME
Both may be repeated. A variable is named NAME, or after the last segment of
the secret's path: upper-case, with every character other than A-Z, 0-9 and
"_" as "_" (and a "_" in front of a leading digit): "/app/db/password" ->
PASSWORD, "prod/db-url" -> DB_URL. Two secrets with one name are an error that
names both. The secrets override variables of the same name already set.
Values are the secrets' text; binary secrets are given in base64. A PATH with
"=" in it needs NAME=; a PATH with nothing below it is "not found" (exit 1).

  --expand                a secret that holds a JSON object gives a variable per member
                          instead, NAME_KEY: {"user": ..} in prod/db -> DB_USER; with
                          --secret =PATH just KEY. KEY is named as above; a nested object
                          is flattened with "_" (DB_TLS_CERT); strings as they are,
                          numbers and true/false as written, null as empty, arrays as
                          JSON. Two members with one name, an empty key, or a name that
                          starts with a digit are errors naming the key, not the value.
  --clean-env             CMD gets the secrets and, of s1crets's environment, only PATH,
                          HOME, USER, LOGNAME, LANG, LC_ALL, TZ, TERM and TMPDIR (if set);
                          without it, everything: AWS credentials, S1CRETS_CACHE_KEY, ...
  --keep-env NAME         with --clean-env, keep NAME too; may be repeated
` + noDecryptHelp + diskHelp + `
Flags end at the first argument that is not a flag, or at "--": the rest is
CMD and its arguments. CMD does not run after an error. s1crets exits with
CMD's exit code, or 128+N when signal N ended it; SIGINT, SIGTERM, SIGHUP and
SIGQUIT are passed on to CMD. A CMD that cannot start exits as in a shell: 127
when it is not found, 126 when it cannot be run.
`,
	run: runExec,
}

// cleanEnv are the variables of s1crets's environment that --clean-env
// gives CMD, when they are set.
var cleanEnv = []string{"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TERM", "TMPDIR"}

// forwarded are the signals exec passes on to its command.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// A source is one --path or --secret, in the order given.
type source struct {
	path   string
	single bool   // --secret: one secret, read with Get
	named  bool   // --secret NAME=PATH
	name   string // NAME; "" with named: --expand's members without a prefix
}

// sourceFlag is --path (single false) or --secret (single true); both add
// to one list.
type sourceFlag struct {
	list   *[]source
	single bool
}

func (f sourceFlag) String() string { return "" }

func (f sourceFlag) Set(s string) error {
	src := source{path: s, single: f.single}
	if f.single {
		if name, path, ok := strings.Cut(s, "="); ok {
			if name != "" && !validName(name) {
				return errors.New(`want [NAME=]PATH, NAME a variable name (letters, digits and "_", not starting with a digit); a PATH with "=" in it needs NAME=`)
			}
			src = source{path: path, single: true, named: true, name: name}
		}
	}
	if src.path == "" {
		return errors.New("empty path")
	}
	*f.list = append(*f.list, src)
	return nil
}

// nameList is the repeatable --keep-env flag.
type nameList []string

func (n *nameList) String() string { return strings.Join(*n, ",") }

func (n *nameList) Set(s string) error {
	if !validName(s) {
		return errors.New(`not a variable name (letters, digits and "_", not starting with a digit)`)
	}
	*n = append(*n, s)
	return nil
}

func runExec(ctx context.Context, e env, args []string) error {
	var f awsFlags
	var r readFlags
	fs := newFlagSet("exec", &f)
	r.bind(fs, false)
	f.bindDisk(fs)
	var sources []source
	fs.Var(sourceFlag{list: &sources}, "path", "")
	fs.Var(sourceFlag{list: &sources, single: true}, "secret", "")
	expand := fs.Bool("expand", false, "")
	clean := fs.Bool("clean-env", false, "")
	var keep nameList
	fs.Var(&keep, "keep-env", "")
	// Unlike the other commands, flags stop at the first argument that is
	// not a flag: the rest belongs to the command, flags and all.
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return usagef("%s", flagError(err))
	}
	if err := f.check(fs); err != nil {
		return err
	}
	argv := fs.Args()
	switch {
	case len(sources) == 0:
		return usagef("missing --path or --secret: give at least one path or secret to read")
	case len(argv) == 0:
		return usagef("missing the command to run: s1crets exec --path PATH -- CMD [ARG...]")
	case len(keep) > 0 && !*clean:
		return usagef("--keep-env needs --clean-env (without it, CMD gets the whole environment)")
	}
	for _, src := range sources {
		if src.named && src.name == "" && !*expand {
			return usagef("--secret =%s: an empty NAME is for --expand, which names the variables after the JSON keys", src.path)
		}
	}

	p, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer p.Close()
	vars := map[string]envVar{}
	for _, src := range sources {
		m, err := read(ctx, p, src, r.options(nil))
		if err != nil {
			return err
		}
		if len(m) == 0 {
			return &s1crets.Error{Op: "exec", Provider: f.provider, Path: src.path,
				Err: fmt.Errorf("%w: no secrets below the path", s1crets.ErrNotFound)}
		}
		for _, secret := range sortedNames(m) {
			name := src.name
			if !src.named {
				if name, err = envName(secret); err != nil {
					return err
				}
			}
			if err := addSecret(vars, secret, name, m[secret], *expand); err != nil {
				return err
			}
		}
	}

	_ = p.Close() // the secrets are read: hold no connection while the command runs

	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = childEnv(os.Environ(), *clean, keep, vars)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr

	// Listen before the start, so that no signal between the start and the
	// forwarding kills s1crets and orphans the command.
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return startError(argv[0], err)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err = cmd.Wait()
	close(done)
	return childStatus(err)
}

// read returns the secrets of one source by name: those below a --path, or
// the one of a --secret.
func read(ctx context.Context, p provider, src source, opts []s1crets.Option) (map[string]s1crets.Value, error) {
	if src.single {
		v, err := p.Get(ctx, src.path, opts...)
		if err != nil {
			return nil, err
		}
		return map[string]s1crets.Value{src.path: v}, nil
	}
	return p.GetByPath(ctx, src.path, opts...)
}

// addSecret adds the variable name for secret's value v to vars or, with
// expand and a JSON object in v, a variable per member, named name_KEY.
func addSecret(vars map[string]envVar, secret, name string, v s1crets.Value, expand bool) error {
	if expand && !v.IsBinary() && v.IsJSON() {
		var obj map[string]json.RawMessage
		if json.Unmarshal([]byte(v.Text()), &obj) == nil && obj != nil {
			prefix := name
			if prefix != "" {
				prefix += "_"
			}
			return addMembers(vars, secret, "", prefix, obj)
		}
	}
	if name == "" {
		return fmt.Errorf("secret %s: --secret =PATH with --expand needs a JSON object, and the secret holds none", strconv.Quote(secret))
	}
	return addVar(vars, name, envVar{secret: secret, value: envText(v)})
}

// addMembers adds the members of obj, a JSON object at the key path member
// ("" at the top) of secret, as variables named prefix + KEY; objects
// inside are flattened, their members named prefix + KEY + "_" + KEY2.
func addMembers(vars map[string]envVar, secret, member, prefix string, obj map[string]json.RawMessage) error {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		path := k
		if member != "" {
			path = member + "." + k
		}
		at := envVar{secret: secret, member: path}
		if k == "" {
			return fmt.Errorf("secret %s member %s: an empty key cannot name an environment variable", strconv.Quote(secret), strconv.Quote(path))
		}
		name := prefix + upperName(k)
		if name[0] >= '0' && name[0] <= '9' {
			return fmt.Errorf("%s: the variable %s would start with a digit; give a prefix: --secret NAME=PATH", at.origin(), name)
		}
		raw := bytes.TrimSpace(obj[k])
		switch raw[0] {
		case '{':
			var inner map[string]json.RawMessage
			if err := json.Unmarshal(raw, &inner); err != nil {
				return fmt.Errorf("%s: %w", at.origin(), err) // cannot happen: the whole is valid JSON
			}
			if err := addMembers(vars, secret, path, name+"_", inner); err != nil {
				return err
			}
			continue
		case '"':
			if err := json.Unmarshal(raw, &at.value); err != nil {
				return fmt.Errorf("%s: not a JSON string", at.origin()) // cannot happen; never the value
			}
		case '[':
			var b bytes.Buffer
			if err := json.Compact(&b, raw); err != nil {
				return fmt.Errorf("%s: not a JSON array", at.origin()) // cannot happen; never the value
			}
			at.value = b.String()
		case 'n': // null
		default: // numbers, true and false as written
			at.value = string(raw)
		}
		if err := addVar(vars, name, at); err != nil {
			return err
		}
	}
	return nil
}

// childEnv is CMD's environment: environ (s1crets's own), or with clean
// only its variables named in cleanEnv and keep, and then the secrets'
// variables, which win, sorted by name.
func childEnv(environ []string, clean bool, keep []string, vars map[string]envVar) []string {
	kept := map[string]bool{}
	if clean {
		for _, n := range cleanEnv {
			kept[n] = true
		}
		for _, n := range keep {
			kept[n] = true
		}
	}
	out := make([]string, 0, len(environ)+len(vars))
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if _, secret := vars[name]; secret || (clean && !kept[name]) {
			continue
		}
		out = append(out, kv)
	}
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		out = append(out, n+"="+vars[n].value)
	}
	return out
}

// childStatus turns the command's end into exec's exit status.
func childStatus(err error) error {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		if err != nil {
			return fmt.Errorf("running the command: %w", err)
		}
		return nil
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return exitStatus(128 + int(ws.Signal()))
	}
	if code := ee.ExitCode(); code > 0 {
		return exitStatus(code)
	}
	return exitStatus(exitError)
}

// Exit codes of a command that could not start, as shells and env(1) have
// them.
const (
	exitCannotRun = 126 // found, but not executable
	exitNoCommand = 127 // not found
)

// startError is the error of a command that did not start, with the exit
// code a shell gives.
func startError(name string, err error) error {
	code := exitCannotRun
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		code = exitNoCommand
	}
	return &codedError{code: code, err: fmt.Errorf("cannot run %s: %w", name, unwrapExecError(err))}
}

// unwrapExecError drops os/exec's "exec: "name": " prefix, which run's
// message already says.
func unwrapExecError(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}
