package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/s1crets/s1crets"
)

// Exit codes, documented in the help text and the README.
const (
	exitOK       = 0
	exitNotFound = 1 // the secret, key path or path does not exist
	exitUsage    = 2 // unknown command or flag, wrong arguments, bad flag value
	exitError    = 3 // any other error
)

// env is what a command reads and writes: run's arguments.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// A command is one subcommand of the tool.
type command struct {
	name    string
	summary string // one line, for the top-level help
	help    string // the command's own help, without the common flags
	run     func(ctx context.Context, e env, args []string) error
}

// commands in the order of the top-level help.
var commands = []*command{getCmd, existsCmd, getByPathCmd, updateCmd, execCmd, serveCmd, versionCmd}

func lookupCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// run is the whole tool: it runs the command in args (without the program
// name) and returns the exit code. main is a thin shell around it, so that
// tests call it in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := env{stdin: stdin, stdout: stdout, stderr: stderr}
	ctx = withStderr(ctx, stderr) // for --verbose
	if len(args) == 0 {
		fmt.Fprint(stderr, topUsage)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		fmt.Fprint(stdout, topHelp())
		return exitOK
	case "--version", "-version":
		name = "version"
	case "help":
		if len(rest) == 0 {
			fmt.Fprint(stdout, topHelp())
			return exitOK
		}
		if c := lookupCommand(rest[0]); c != nil {
			fmt.Fprint(stdout, commandHelp(c))
			return exitOK
		}
		if rest[0] == "cache" {
			fmt.Fprint(stdout, cacheHelp)
			return exitOK
		}
		return report(stderr, nil, usagef("help: unknown command %q (commands: %s; topic: cache)", rest[0], commandNames()))
	}
	c := lookupCommand(name)
	if c == nil {
		msg := fmt.Sprintf("unknown command %q (commands: %s; see s1crets --help)", name, commandNames())
		if alt := lookupCommand(strings.ReplaceAll(name, "_", "-")); alt != nil {
			msg = fmt.Sprintf("unknown command %q: did you mean %q?", name, alt.name)
		}
		return report(stderr, nil, usagef("%s", msg))
	}
	err := c.run(ctx, e, rest)
	if errors.Is(err, errHelp) {
		fmt.Fprint(stdout, commandHelp(c))
		return exitOK
	}
	return report(stderr, c, err)
}

func commandNames() string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

// errHelp is returned by a command's flag parsing for -h and --help.
var errHelp = errors.New("help requested")

// usageError is a mistake on the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// exitStatus ends the tool with a code and no message: exists answering
// "no", exec passing its command's exit code through.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// codedError is an error with an exit code of its own (exec's 126 and
// 127); it is reported like any other error.
type codedError struct {
	code int
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

// exitCode maps an error to the tool's exit code.
func exitCode(err error) int {
	var ue *usageError
	var st exitStatus
	var ce *codedError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &st):
		return int(st)
	case errors.As(err, &ce):
		return ce.code
	case errors.As(err, &ue), errors.Is(err, s1crets.ErrInvalid):
		return exitUsage
	case errors.Is(err, s1crets.ErrNotFound):
		return exitNotFound
	default:
		return exitError
	}
}

// report writes err as one line on stderr, unless it is an exitStatus, and
// returns the exit code.
func report(stderr io.Writer, c *command, err error) int {
	code := exitCode(err)
	var st exitStatus
	if err == nil || errors.As(err, &st) {
		return code
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "s1crets: ") { // the library's errors have it
		prefix := "s1crets: "
		if c != nil {
			prefix += c.name + ": "
		}
		msg = prefix + msg
	}
	if code == exitUsage && c != nil {
		msg += " (see s1crets " + c.name + " --help)"
	}
	fmt.Fprintln(stderr, oneLine(msg))
	return code
}

// oneLine keeps an error on one line whatever a wrapped error's text holds.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == 0x85 || r == 0x2028 || r == 0x2029 {
			return ' '
		}
		return r
	}, s)
}

var versionCmd = &command{
	name:    "version",
	summary: "print the version of s1crets",
	help:    "Usage: s1crets version\n\nPrints the module version of this build of s1crets.\n",
	run: func(ctx context.Context, e env, args []string) error {
		for _, a := range args {
			if a == "-h" || a == "--help" || a == "-help" {
				return errHelp
			}
		}
		if len(args) > 0 {
			return usagef("version takes no arguments")
		}
		v := "(unknown)"
		if bi, ok := debug.ReadBuildInfo(); ok {
			v = bi.Main.Version
		}
		_, err := fmt.Fprintln(e.stdout, "s1crets", v)
		return err
	},
}
