package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/s1crets/s1crets"
)

// verboseHelp is the line of --verbose in the help of the common flags.
const verboseHelp = "  --verbose               print to stderr where each value came from (memory, disk, redis, store)\n" +
	"                          and how long it took; never the value\n"

// bindVerbose binds --verbose to f.
func bindVerbose(fs *flag.FlagSet, f *awsFlags) { fs.BoolVar(&f.verbose, "verbose", false, "") }

// stderrKey carries run's stderr in the context, for --verbose.
type stderrKey struct{}

func withStderr(ctx context.Context, w io.Writer) context.Context {
	return context.WithValue(ctx, stderrKey{}, w)
}

// verboseOptions are the provider options of --verbose: an Observer that
// writes to the stderr of ctx.
func (f *awsFlags) verboseOptions(ctx context.Context) []s1crets.Option {
	if !f.verbose {
		return nil
	}
	w, _ := ctx.Value(stderrKey{}).(io.Writer)
	if w == nil {
		w = os.Stderr
	}
	return []s1crets.Option{s1crets.Observe(&verbose{w: w})}
}

// verbose is the Observer of --verbose: one line per read, update, stale
// value and cache tier failure, with the name as given on the command line,
// where the value came from, how long it took and the attempts; never a
// value (an Event holds none).
type verbose struct {
	mu sync.Mutex // guards w
	w  io.Writer
}

// sourceName names a source for a user: the shared tier is Redis (or
// Valkey, which speaks its protocol).
func sourceName(s s1crets.Source) string {
	if s == s1crets.SourceShared {
		return "redis"
	}
	return s.String()
}

func (v *verbose) Observe(e s1crets.Event) {
	var line string
	switch e.Kind {
	case s1crets.EventFetch:
		line = fmt.Sprintf("%s %s from %s in %s", e.Op, strconv.Quote(e.Name), sourceName(e.Source), ms(e.Duration))
		if e.Attempts > 0 {
			line += fmt.Sprintf(" (%d %s)", e.Attempts, plural(e.Attempts, "attempt"))
		}
		if e.Outcome != s1crets.OutcomeOK {
			line += ": " + e.Outcome.String()
		}
	case s1crets.EventCall:
		if e.Op != "update" {
			return // reads are told by their fetch
		}
		line = fmt.Sprintf("update %s at store in %s", strconv.Quote(e.Name), ms(e.Duration))
		if e.Outcome != s1crets.OutcomeOK {
			line += ": " + e.Outcome.String()
		}
	case s1crets.EventStale:
		line = fmt.Sprintf("%s %s: served the expired cached value (store: %s)", e.Op, strconv.Quote(e.Name), e.Outcome)
	case s1crets.EventTierFailure:
		line = fmt.Sprintf("the %s cache failed (%s); the value comes from elsewhere", sourceName(e.Source), e.Op)
	default:
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	fmt.Fprintln(v.w, "s1crets: verbose: "+oneLine(line))
}

// ms prints d in milliseconds with one decimal.
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + "ms"
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
