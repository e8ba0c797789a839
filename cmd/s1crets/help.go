package main

import (
	"fmt"
	"strings"
)

const topUsage = "Usage: s1crets COMMAND [FLAGS] [ARGS...]   (s1crets --help for the commands)\n"

const exitCodesHelp = `Exit codes:
  0  success
  1  not found: the secret, the key path or the path does not exist
     (exists: it does not exist)
  2  usage error: unknown command or flag, wrong arguments, bad flag value
  3  any other error: AWS, network, credentials, ...
  exec: 127 if CMD is not found, 126 if it cannot be run; once CMD has started,
  CMD's own exit code (128+N if signal N ended it)
Errors are one line on standard error and never contain a secret value.
`

func topHelp() string {
	var b strings.Builder
	b.WriteString(`Usage: s1crets COMMAND [FLAGS] [ARGS...]

Reads and updates secrets in AWS Secrets Manager (--provider aws.sm, the
default) and Systems Manager Parameter Store (--provider aws.ps).

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-13s %s\n", c.name, c.summary)
	}
	b.WriteString(`
Run "s1crets COMMAND --help" for a command's arguments and flags, and
"s1crets help cache" for the disk cache that get, get-by-path, exec and
update can share between runs (off by default).

`)
	b.WriteString(commonFlagsHelp)
	b.WriteString("\n")
	b.WriteString(exitCodesHelp)
	return b.String()
}

func commandHelp(c *command) string {
	if c == versionCmd {
		return c.help
	}
	return c.help + "\n" + commonFlagsLine
}
