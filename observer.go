package s1crets

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/s1crets/s1crets/driver"
)

// An Observer receives the events of a provider (see Event): each read with
// where it was answered and how long it took, each remote call, each stale
// value served, each refresh-ahead, each eviction and each failure of a
// cache tier. Set one with the provider-level option Observe; the packages
// slogobs (log/slog) and otelobs (OpenTelemetry metrics) adapt the usual
// tools. An event never holds a secret value.
//
// Observe is called synchronously, in the goroutine that did the work,
// never under a lock of the provider; reads wait for it. It must be fast
// and must not block: count, log or hand off, and return. It may be called
// from many goroutines at once.
type Observer interface {
	Observe(e Event)
}

// ObserverFunc adapts a function to an Observer. A function is not
// comparable, so an ObserverFunc can be given to a provider's constructor
// (aws.NewParameterStore, memory.New, New) but not to Open or the simple
// API, whose instances are memoized by their options: give those a pointer.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

// EventKind says what an Event reports.
type EventKind uint8

// The kinds of Event, with the fields each one sets (Kind and Provider are
// always set).
const (
	// EventFetch is one read of one value or listing (per name for
	// GetMany), when it ends: Op, Name, List, Source (where it was
	// answered), Missed (the caches that could not answer it), Outcome,
	// Duration (how long the caller waited; 0 for a memory hit), Attempts
	// (of the remote call that answered it; 0 when none or unknown) and Err.
	// Memory hits are events too: a program that only counts them should
	// rather read Client.Stats.
	EventFetch EventKind = iota + 1
	// EventCall is one remote call of the store: Op ("get", "get-by-path",
	// "get-many", "update", "path-exists", "identity"), Name (empty for
	// get-many and identity), Outcome, Duration, Attempts and Err. One call
	// may cover several requests: retries, pages, batches.
	EventCall
	// EventStale is an expired value served because the store failed
	// transiently (CacheConfig.MaxStale): Op, Name, Outcome and Err of the
	// failure.
	EventStale
	// EventRefresh is a refresh-ahead started in the background
	// (CacheConfig.RefreshAhead): Op ("get") and Name.
	EventRefresh
	// EventEvict is an entry dropped from memory to make room for another
	// (CacheConfig.Size): Name and List. Expiries and invalidations are not
	// evictions.
	EventEvict
	// EventTierFailure is a failure of the disk or shared tier: Source, Op
	// ("read" when the tier could not be read, "write", "invalidate") and
	// Err. A tier failure never changes a result; the calls skipped while
	// the failed tier cools down (CacheConfig.TierCoolDown) are not
	// failures of their own.
	EventTierFailure
)

var eventKindNames = [...]string{"", "fetch", "call", "stale", "refresh", "evict", "tier-failure"}

// String returns "fetch", "call", "stale", "refresh", "evict" or
// "tier-failure".
func (k EventKind) String() string {
	if int(k) < len(eventKindNames) && k != 0 {
		return eventKindNames[k]
	}
	return "unknown"
}

// Event is what an Observer receives. It never holds a secret value; Name
// is the name as the program asked for it, for the program to log or not.
type Event struct {
	Kind     EventKind
	Provider string        // the provider's name ("aws.ps", "memory")
	Op       string        // the operation: "get", "get-by-path", "get-many", "update", "path-exists", ...
	Name     string        // the secret name or path as asked; empty when the event is not about one
	List     bool          // a listing (GetByPath), not a single value
	Source   Source        // EventFetch: where the read was answered; EventTierFailure: the tier
	Missed   Sources       // EventFetch: the caches that were asked and could not answer
	Outcome  Outcome       // how it ended
	Duration time.Duration // EventFetch, EventCall: how long it took
	Attempts int           // EventFetch, EventCall: attempts of the remote call, when the store counts them
	Err      error         // the failure, if any; an error of this package never holds a secret value
}

// Source is where a read was answered: memory, the disk tier, the shared
// tier (Redis, Valkey) or the store itself.
type Source uint8

// The sources, in the order a read asks them.
const (
	SourceMemory Source = iota
	SourceDisk
	SourceShared
	SourceStore
	numSources
)

var sourceNames = [numSources]string{"memory", "disk", "shared", "store"}

// String returns "memory", "disk", "shared" or "store".
func (s Source) String() string {
	if s < numSources {
		return sourceNames[s]
	}
	return "unknown"
}

// Sources is a set of Sources.
type Sources uint8

// Has reports whether s holds src.
func (s Sources) Has(src Source) bool { return s&(1<<src) != 0 }

// With returns s with src.
func (s Sources) With(src Source) Sources { return s | 1<<src }

// String returns the names of the sources in s in the order a read asks
// them, joined by "+" ("memory+disk"); "" for none.
func (s Sources) String() string {
	var b []byte
	for src := range numSources {
		if s.Has(src) {
			if len(b) > 0 {
				b = append(b, '+')
			}
			b = append(b, src.String()...)
		}
	}
	return string(b)
}

// Outcome is how a read or a remote call ended: OK, or the kind of its
// failure.
type Outcome uint8

// The outcomes. A store tells Denied, Throttled and some Network errors
// apart by implementing driver.ErrorClassifier (the AWS providers do);
// without it they are Other.
const (
	OutcomeOK        Outcome = iota
	OutcomeNotFound          // the secret, path or key does not exist
	OutcomeDenied            // access denied, bad or expired credentials
	OutcomeThrottled         // the store asked to slow down
	OutcomeNetwork           // the request or its answer was lost: connection refused or reset, a 5xx answer
	OutcomeTimeout           // an attempt or the call ran out of time
	OutcomeOther             // any other failure
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"ok", "not_found", "denied", "throttled", "network", "timeout", "other"}

// String returns "ok", "not_found", "denied", "throttled", "network",
// "timeout" or "other".
func (o Outcome) String() string {
	if o < numOutcomes {
		return outcomeNames[o]
	}
	return "unknown"
}

// outcomeOf classifies err: the store's own classification first, then
// what the standard library tells.
func (c *Client) outcomeOf(err error) Outcome {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, ErrNotFound):
		return OutcomeNotFound
	}
	if ec, ok := c.store.(driver.ErrorClassifier); ok {
		switch ec.ErrorKind(err) {
		case driver.KindNotFound:
			return OutcomeNotFound
		case driver.KindDenied:
			return OutcomeDenied
		case driver.KindThrottled:
			return OutcomeThrottled
		case driver.KindNetwork:
			return OutcomeNetwork
		case driver.KindTimeout:
			return OutcomeTimeout
		}
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return OutcomeTimeout
	case errors.As(err, &ne):
		if ne.Timeout() {
			return OutcomeTimeout
		}
		return OutcomeNetwork
	}
	return OutcomeOther
}

// observeOpt is the option of Observe.
type observeOpt struct{ o Observer }

// Observe sets an Observer of the provider's events. It is a provider-level
// option; given more than once, every Observer receives every event (at
// most maxObservers). Open and the simple API memoize their instances by
// their options, the Observers included: give them a comparable Observer,
// such as a pointer, and the same one each time; a function (ObserverFunc)
// is refused there and accepted by the constructors.
func Observe(o Observer) Option { return driver.NewSetting(observeOpt{o}) }

// maxObservers is how many Observe options one provider takes.
const maxObservers = 4

// observers fans an event out to several Observers.
type observers []Observer

func (os observers) Observe(e Event) {
	for _, o := range os {
		o.Observe(e)
	}
}

// observer returns the Observer of settings: nil when none, else one that
// calls each of them.
func (s settings) observer() Observer {
	var os observers
	for _, o := range s.observers {
		if o != nil {
			os = append(os, o)
		}
	}
	switch len(os) {
	case 0:
		return nil
	case 1:
		return os[0]
	}
	return os
}

// emit sends e to the Observer, which the caller checked is set.
func (c *Client) emit(e Event) {
	e.Provider = c.name
	c.obs.Observe(e)
}

// now returns the time for measuring a duration, when there is an Observer
// to report it to.
func (c *Client) now() time.Time {
	if c.obs == nil {
		return time.Time{}
	}
	return c.mem.clock.Now()
}

func (c *Client) since(start time.Time) time.Duration {
	if start.IsZero() {
		return 0
	}
	return c.mem.clock.Now().Sub(start)
}

// observe adds o to the Observers of the options.
func (o *options) observe(obs Observer) error {
	if obs == nil {
		return invalidf("Observe(nil): give an Observer")
	}
	for i := range o.observers {
		if o.observers[i] == nil {
			o.observers[i] = obs
			return nil
		}
	}
	return invalidf("Observe given more than %d times", maxObservers)
}
