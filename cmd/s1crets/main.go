// Command s1crets reads and updates secrets in AWS Secrets Manager
// (provider aws.sm, the default) and Parameter Store (aws.ps) from the
// command line. It has the commands of the original Python s1crets CLI and
// a few more:
//
//	s1crets get [FLAGS] PATH [KEY...]            print a secret, or a value inside a JSON secret
//	s1crets exists [FLAGS] PATH [KEY...]         exit 0 if it exists, 1 if not
//	s1crets get-by-path [FLAGS] PATH             print the secrets below PATH
//	s1crets update [FLAGS] PATH VALUE            replace a secret's value ("-": read it from stdin)
//	s1crets exec [FLAGS] --path PATH... -- CMD   run CMD with the secrets below the paths as env vars
//	s1crets exec [FLAGS] --secret [NAME=]PATH... -- CMD   ... or with single secrets
//	s1crets serve [FLAGS]                        serve the cache on localhost over HTTP (the AWS agent's API)
//
// Install it with
//
//	go install github.com/s1crets/s1crets/cmd/s1crets@latest
//
// Flags may come before or after the arguments; "--" ends the flags, so
// that key paths starting with "-" can be given. Every command takes
// --provider, --region, --profile, --endpoint-url, --role-arn,
// --role-session-name, --external-id, --retry and --timeout; the reading
// commands take --no-decrypt (aws.ps), and get and exists --version-stage
// and --version-id (aws.sm). The AWS SDK's environment (AWS_PROFILE,
// AWS_REGION, AWS_ENDPOINT_URL, ...) applies as usual. Run "s1crets --help"
// or "s1crets COMMAND --help" for the details.
//
// # Disk cache
//
// get, get-by-path, exec and update can share an encrypted disk cache
// between runs, so that a script that reads one secret many times calls
// AWS for it once: --disk-cache (or S1CRETS_DISK_CACHE=1) turns it on in
// the user cache directory, --cache-dir DIR (or S1CRETS_CACHE_DIR) in DIR,
// --cache-ttl (or S1CRETS_CACHE_TTL, default 15m) sets how long an entry is
// used. It is off by default, and refused without a key in
// S1CRETS_CACHE_KEY (32 bytes, base64): secrets are never written to disk
// unencrypted. Each run that uses it makes one STS GetCallerIdentity call.
// "s1crets help cache" has the details.
//
// # exec
//
// exec names each variable after the last segment of the secret's path, or
// NAME for --secret NAME=PATH. With --expand, a secret holding a JSON
// object gives a variable per member instead (prod/db's "user" is DB_USER);
// with --clean-env, CMD gets only the secrets and PATH, HOME, USER,
// LOGNAME, LANG, LC_ALL, TZ, TERM and TMPDIR (plus --keep-env NAME).
//
// # Output
//
// get prints a secret as stored, plus a newline; a value found by a key
// path prints as compact JSON, or as the string itself when it is a string.
// A binary secret is written raw, without a newline, so that redirecting
// the output to a file reproduces it exactly; --base64 prints base64
// instead. get-by-path prints "name value" lines sorted by name (binary
// values in base64), or with --format names the names only, --format json
// one JSON object (Parameter Store values as strings), --format dotenv
// NAME='value' lines for a shell, --format env-file NAME=value lines for
// docker run --env-file and systemd's EnvironmentFile=.
//
// # Exit codes
//
//	0  success
//	1  not found: the secret, the key path or the path does not exist
//	   (exists: it does not exist)
//	2  usage error: unknown command or flag, wrong arguments, bad flag value
//	3  any other error: AWS, network, credentials, ...
//
// exec exits 127 when the command is not found and 126 when it cannot be
// run, as shells do, and with the command's own exit code once it started
// (128+N when signal N ended it). Errors are one line on standard error,
// starting "s1crets: ", and never contain a secret value.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
