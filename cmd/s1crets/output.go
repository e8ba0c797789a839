package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/s1crets/s1crets"
)

// render returns what get prints for v, without the newline: the secret as
// stored (raw bytes for a binary secret). A value found by a key path is the
// library's compact JSON, which leaves <, > and & as they are.
func render(v s1crets.Value) []byte {
	if v.IsBinary() {
		return v.Bytes()
	}
	return []byte(v.Text())
}

// compactJSON returns the JSON text of v on one line.
func compactJSON(v s1crets.Value) []byte {
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(v.Text())); err != nil {
		return []byte(v.Text()) // IsJSON values are valid JSON
	}
	return buf.Bytes()
}

func sortedNames(m map[string]s1crets.Value) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// writeLines is get-by-path's default format, the original's: "name value"
// per secret, sorted by name. Values are written as stored, except that JSON
// spanning several lines is compacted to one and binary values are written
// in base64.
func writeLines(w io.Writer, m map[string]s1crets.Value) error {
	for _, name := range sortedNames(m) {
		v := m[name]
		var val []byte
		switch {
		case v.IsBinary():
			val = []byte(base64.StdEncoding.EncodeToString(v.Bytes()))
		case v.IsJSON() && strings.ContainsAny(v.Text(), "\r\n"):
			val = compactJSON(v)
		default:
			val = []byte(v.Text())
		}
		line := make([]byte, 0, len(name)+len(val)+2)
		line = append(append(append(append(line, name...), ' '), val...), '\n')
		if _, err := w.Write(line); err != nil {
			return err
		}
	}
	return nil
}

// writeNames writes the names, sorted, one per line.
func writeNames(w io.Writer, m map[string]s1crets.Value) error {
	for _, name := range sortedNames(m) {
		if _, err := io.WriteString(w, name+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// writeJSON writes one JSON object, name -> value: text as strings, binary
// as base64 strings, and with embed (Secrets Manager, whose JSON secrets
// the original decodes) JSON secrets embedded as JSON. A Parameter Store
// value is a string, and stays one: "8080" is not the number 8080.
func writeJSON(w io.Writer, m map[string]s1crets.Value, embed bool) error {
	obj := make(map[string]any, len(m))
	for name, v := range m {
		switch {
		case v.IsBinary():
			obj[name] = base64.StdEncoding.EncodeToString(v.Bytes())
		case embed && v.IsJSON():
			obj[name] = json.RawMessage(v.Text())
		default:
			obj[name] = v.Text()
		}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(obj) // sorted keys, one line
}

// writeDotenv writes NAME='value' lines, sorted by NAME, named as exec names
// environment variables and quoted for a POSIX shell (set -a; . ./file).
func writeDotenv(w io.Writer, m map[string]s1crets.Value) error {
	vars, err := envVars(nil, m)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		if _, err := io.WriteString(w, name+"="+shQuote(vars[name].value)+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// writeEnvFile writes NAME=value lines, sorted by NAME and named as exec
// names environment variables, for docker run --env-file and systemd's
// EnvironmentFile=. Docker takes the rest of the line literally; systemd
// reads an unquoted value the same, except that it drops leading and
// trailing white space, reads a backslash as an escape and a leading quote
// as quoting. So each value goes on one line, unquoted, as it is: JSON
// spanning several lines is compacted to one, and a value that the two
// would not both read back as it is, is an error that names the secret and
// why, never the value.
func writeEnvFile(w io.Writer, m map[string]s1crets.Value) error {
	compacted := make(map[string]s1crets.Value, len(m))
	for name, v := range m {
		if !v.IsBinary() && v.IsJSON() && strings.ContainsAny(v.Text(), "\r\n") {
			v = s1crets.NewValue(string(compactJSON(v)))
		}
		compacted[name] = v
	}
	vars, err := envVars(nil, compacted)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		if why := envFileUnfit(vars[name].value); why != "" {
			return fmt.Errorf("secret %s: --format env-file cannot hold its value: %s; use --format dotenv (a shell), json, or exec",
				strconv.Quote(vars[name].secret), why)
		}
	}
	for _, name := range names {
		if _, err := io.WriteString(w, name+"="+vars[name].value+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// envFileUnfit says why Docker and systemd would not both read value, put
// unquoted after "NAME=", back as it is; "" when they would.
func envFileUnfit(value string) string {
	switch {
	case strings.ContainsAny(value, "\n\r"):
		return "it has a line break (one line per variable)"
	case strings.ContainsRune(value, '\\'):
		return "it has a backslash (systemd reads it as an escape, Docker does not)"
	case strings.HasPrefix(value, "'") || strings.HasPrefix(value, `"`):
		return "it starts with a quote (systemd reads it as quoting, Docker does not)"
	case value != strings.TrimSpace(value):
		return "it starts or ends with white space (systemd drops it, Docker does not)"
	}
	return ""
}

// envVar is one environment variable made from a secret, or from a member
// of a JSON secret (exec --expand).
type envVar struct {
	secret string // the secret's full name, for error messages
	member string // exec --expand: the member's key path, "a.b"; "" for the whole secret
	value  string
}

// origin names where v came from, for error messages: never its value.
func (v envVar) origin() string {
	if v.member == "" {
		return "secret " + strconv.Quote(v.secret)
	}
	return "secret " + strconv.Quote(v.secret) + " member " + strconv.Quote(v.member)
}

// envVars adds the secrets of m to vars (nil: a new map) under their
// environment variable names. Two secrets with one name are an error that
// names both; so is a value that no environment can hold.
func envVars(vars map[string]envVar, m map[string]s1crets.Value) (map[string]envVar, error) {
	if vars == nil {
		vars = make(map[string]envVar, len(m))
	}
	for _, secret := range sortedNames(m) {
		name, err := envName(secret)
		if err != nil {
			return nil, err
		}
		if err := addVar(vars, name, envVar{secret: secret, value: envText(m[secret])}); err != nil {
			return nil, err
		}
	}
	return vars, nil
}

// envText is a secret's value as an environment variable holds it: the
// text, or base64 for a binary secret.
func envText(v s1crets.Value) string {
	if v.IsBinary() {
		return base64.StdEncoding.EncodeToString(v.Bytes())
	}
	return v.Text()
}

// addVar adds v as the variable name. A name that another secret (or
// member) already has is an error that names both; the same secret read
// twice (under two paths) is not. Errors never show a value.
func addVar(vars map[string]envVar, name string, v envVar) error {
	if strings.IndexByte(v.value, 0) >= 0 {
		return fmt.Errorf("%s: its value has a NUL byte, which an environment variable cannot hold", v.origin())
	}
	if old, ok := vars[name]; ok && (old.secret != v.secret || old.member != v.member) {
		if old.member == "" && v.member == "" {
			return fmt.Errorf("secrets %s and %s both map to the environment variable %s",
				strconv.Quote(old.secret), strconv.Quote(v.secret), name)
		}
		return fmt.Errorf("%s and %s both map to the environment variable %s", old.origin(), v.origin(), name)
	}
	vars[name] = v
	return nil
}

// envName is the environment variable name of a secret: the last segment of
// its path, upper-case, with every character other than A-Z, 0-9 and "_"
// replaced by "_", and a "_" in front when it would start with a digit.
// "/app/db/password" -> PASSWORD, "prod/db-url" -> DB_URL.
func envName(secret string) (string, error) {
	seg := strings.TrimRight(secret, "/")
	if i := strings.LastIndexByte(seg, '/'); i >= 0 {
		seg = seg[i+1:]
	}
	if seg == "" {
		return "", fmt.Errorf("secret %s: no name to make an environment variable of", strconv.Quote(secret))
	}
	b := upperName(seg)
	if b[0] >= '0' && b[0] <= '9' {
		b = "_" + b
	}
	return b, nil
}

// upperName is s upper-case, with every character other than A-Z, 0-9
// and "_" replaced by "_".
func upperName(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			b = append(b, byte(r-'a'+'A'))
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b = append(b, byte(r))
		default:
			b = append(b, '_')
		}
	}
	return string(b)
}

// validName reports whether s can name an environment variable as a shell
// does: letters, digits and "_", not starting with a digit.
func validName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// shQuote quotes s for a POSIX shell: in single quotes, where a single
// quote is written by closing the quotes, adding a backslash-escaped quote
// and opening them again.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
