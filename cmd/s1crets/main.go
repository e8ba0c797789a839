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
