package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/providers/aws"
)

var getCmd = &command{
	name:    "get",
	summary: "print a secret, or the value at a key path inside a JSON secret",
	help: `Usage: s1crets get [FLAGS] PATH [KEY...]

Prints the secret at PATH. With KEYs, prints the value at that key path inside
a JSON secret: an object member by name, an array element by index, or, with
any other key, the same key path applied to every element of an array. Key
paths work for both providers.

Output: the secret as stored, plus a newline; a value found by a key path as
compact JSON, or as the string itself when it is a string. A binary secret is
written raw with no newline, so "s1crets get P > file" reproduces it exactly.

Flags:
  --base64                print the value base64-encoded, plus a newline
` + noDecryptHelp + versionsHelp + diskHelp,
	run: runGet,
}

func runGet(ctx context.Context, e env, args []string) error {
	var f awsFlags
	var r readFlags
	fs := newFlagSet("get", &f)
	f.bindDisk(fs)
	r.bind(fs, true)
	b64 := fs.Bool("base64", false, "")
	pos, err := parseCommand(fs, &f, args, 1, -1, "PATH [KEY...]")
	if err == nil {
		err = r.check(fs)
	}
	if err != nil {
		return err
	}
	path, keys := pos[0], pos[1:]
	p, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer p.Close()
	v, err := p.Get(ctx, path, r.options(keys)...)
	if err != nil {
		return err
	}
	out := render(v)
	switch {
	case *b64:
		out = append([]byte(base64.StdEncoding.EncodeToString(out)), '\n')
	case !v.IsBinary():
		out = append(out, '\n')
	}
	_, err = e.stdout.Write(out)
	return err
}

var existsCmd = &command{
	name:    "exists",
	summary: "exit 0 if a secret (or a key path inside it) exists, 1 if not",
	help: `Usage: s1crets exists [FLAGS] PATH [KEY...]

Exits 0 when PATH exists, 1 when it does not; prints nothing. For aws.ps, PATH
exists when it names a parameter or has parameters below it ("/a/b" for
"/a/b/c", not for "/a/bc"); for aws.sm, when it names a secret. With KEYs,
whether that key path exists inside the JSON secret at PATH.

Flags:
` + noDecryptHelp + versionsHelp,
	run: runExists,
}

func runExists(ctx context.Context, e env, args []string) error {
	var f awsFlags
	var r readFlags
	fs := newFlagSet("exists", &f)
	r.bind(fs, true)
	pos, err := parseCommand(fs, &f, args, 1, -1, "PATH [KEY...]")
	if err == nil {
		err = r.check(fs)
	}
	if err != nil {
		return err
	}
	p, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer p.Close()
	ok, err := p.PathExists(ctx, pos[0], r.options(pos[1:])...)
	if err != nil {
		return err
	}
	if !ok {
		return exitStatus(exitNotFound)
	}
	return nil
}

var getByPathCmd = &command{
	name:    "get-by-path",
	summary: "print the secrets below a path",
	help: `Usage: s1crets get-by-path [FLAGS] PATH

Prints every secret below PATH: for aws.ps, the parameters in the hierarchy
below PATH, recursively; for aws.sm, the secrets whose names start with PATH.
Nothing below PATH is not an error: the output is empty.

Flags:
  --format F              lines (default): "name value" per secret, sorted by name, as
                            the original prints them: values as stored, but JSON on
                            several lines compacted to one and binary values in base64
                          names: the names only, one per line
                          json: one JSON object {"name": value, ...} for programs (jq);
                            aws.ps: every value a string, as Parameter Store holds it;
                            aws.sm: JSON secrets embedded as JSON (as the original
                            decodes them), other text as strings; binary as base64
                          dotenv: NAME='value' lines for a POSIX shell (set -a; . FILE),
                            quoted, so any value fits, on several lines if need be
                          env-file: NAME=value lines, unquoted, one per secret, for
                            docker run --env-file and systemd's EnvironmentFile=; a
                            value they cannot both read as it is (a line break, a
                            backslash, a leading quote or space, ...) is an error
                          dotenv and env-file name the variables as exec does (last
                          path segment, upper-case, other characters as "_"); binary
                          values in base64
` + noDecryptHelp + diskHelp,
	run: runGetByPath,
}

func runGetByPath(ctx context.Context, e env, args []string) error {
	var f awsFlags
	var r readFlags
	fs := newFlagSet("get-by-path", &f)
	f.bindDisk(fs)
	r.bind(fs, false)
	format := fs.String("format", "lines", "")
	pos, err := parseCommand(fs, &f, args, 1, 1, "PATH")
	if err != nil {
		return err
	}
	var write func(io.Writer, map[string]s1crets.Value) error
	switch *format {
	case "lines":
		write = writeLines
	case "names":
		write = writeNames
	case "json":
		embed := f.provider == aws.SecretsManagerName
		write = func(w io.Writer, m map[string]s1crets.Value) error { return writeJSON(w, m, embed) }
	case "dotenv":
		write = writeDotenv
	case "env-file":
		write = writeEnvFile
	default:
		return usagef("--format %q: must be lines, names, json, dotenv or env-file", *format)
	}
	p, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer p.Close()
	m, err := p.GetByPath(ctx, pos[0], r.options(nil)...)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(e.stdout)
	if err := write(w, m); err != nil {
		return err
	}
	return w.Flush()
}

var updateCmd = &command{
	name:    "update",
	summary: "replace the value of an existing secret",
	help: `Usage: s1crets update [FLAGS] PATH VALUE
       s1crets update [FLAGS] PATH - < FILE

Replaces the value of the existing secret at PATH, keeping its type, KMS key
and other settings; a missing secret is "not found" (exit 1). A VALUE of "-"
is read from standard input, so that the secret appears neither in the shell
history nor in the process list; one trailing newline ("\n" or "\r\n") is
removed from it. A VALUE that starts with "-" goes after "--":
"s1crets update PATH -- -value".

With the disk cache on, update drops the secret's entries from it, so that
the runs that follow read the new value.

Flags:
` + diskHelp,
	run: runUpdate,
}

// maxStdinValue bounds what update reads from standard input: well above
// the stores' limits (Secrets Manager: 64 KiB, Parameter Store: 8 KiB).
const maxStdinValue = 1 << 20

func runUpdate(ctx context.Context, e env, args []string) error {
	var f awsFlags
	fs := newFlagSet("update", &f)
	f.bindDisk(fs)
	pos, err := parseCommand(fs, &f, args, 2, 2, "PATH VALUE")
	if err != nil {
		return err
	}
	path, value := pos[0], pos[1]
	if value == "-" {
		if value, err = readValue(e.stdin); err != nil {
			return err
		}
	}
	p, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer p.Close()
	// The library's error withholds the store's message, which may quote
	// the value: it is printed as it is, never edited.
	return p.Update(ctx, path, value)
}

// readValue reads update's value from r, without one trailing newline.
func readValue(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("reading the value: no standard input")
	}
	b, err := io.ReadAll(io.LimitReader(r, maxStdinValue+1))
	if err != nil {
		return "", fmt.Errorf("reading the value from standard input: %w", err)
	}
	if len(b) > maxStdinValue {
		return "", fmt.Errorf("reading the value from standard input: more than %d bytes", maxStdinValue)
	}
	s := string(b)
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		s, _ = strings.CutSuffix(t, "\r")
	}
	return s, nil
}
