package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"github.com/s1crets/s1crets"
)

var execCmd = &command{
	name:    "exec",
	summary: "run a command with the secrets below paths as environment variables",
	help: `Usage: s1crets exec [FLAGS] --path PATH [--path PATH...] [--] CMD [ARG...]

Runs CMD with the secrets below each PATH (as get-by-path finds them) added to
its environment. A secret's variable is named after the last segment of its
path, upper-case, with every character other than A-Z, 0-9 and "_" as "_"
(and a "_" in front of a leading digit): "/app/db/password" -> PASSWORD,
"prod/db-url" -> DB_URL. Two secrets with one name are an error that names
both. The secrets override variables of the same name already set. Values are
the secrets' text; binary secrets are given in base64.

The flags end at the first argument that is not a flag, or at "--": everything
after is CMD and its arguments. A PATH with nothing below it is "not found"
(exit 1), and CMD is not run.

s1crets waits for CMD and exits with its exit code, or 128+N when signal N
ended it. SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to s1crets are passed on to
CMD. Before CMD starts, the exit codes are s1crets's own, and as a shell's
when CMD cannot start: 127 when it is not found, 126 when it cannot be run
(not executable, a directory, ...).

Flags:
  --path PATH             a path to read the secrets below; may be repeated
` + noDecryptHelp,
	run: runExec,
}

// forwarded are the signals exec passes on to its command.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// pathList is the repeatable --path flag.
type pathList []string

func (p *pathList) String() string { return strings.Join(*p, ",") }

func (p *pathList) Set(s string) error {
	if s == "" {
		return errors.New("empty path")
	}
	*p = append(*p, s)
	return nil
}

func runExec(ctx context.Context, e env, args []string) error {
	var f awsFlags
	var r readFlags
	fs := newFlagSet("exec", &f)
	r.bind(fs, false)
	var paths pathList
	fs.Var(&paths, "path", "")
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
	case len(paths) == 0:
		return usagef("missing --path: give at least one path to read secrets below")
	case len(argv) == 0:
		return usagef("missing the command to run: s1crets exec --path PATH -- CMD [ARG...]")
	}

	p, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer p.Close()
	var vars map[string]envVar
	for _, path := range paths {
		m, err := p.GetByPath(ctx, path, r.options(nil)...)
		if err != nil {
			return err
		}
		if len(m) == 0 {
			return &s1crets.Error{Op: "exec", Provider: f.provider, Path: path,
				Err: fmt.Errorf("%w: no secrets below the path", s1crets.ErrNotFound)}
		}
		if vars, err = envVars(vars, m); err != nil {
			return err
		}
	}

	_ = p.Close() // the secrets are read: hold no connection while the command runs

	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = os.Environ()
	for name, v := range vars {
		cmd.Env = append(cmd.Env, name+"="+v.value) // later entries win
	}
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
