// Package otelobs records the events of s1crets providers as OpenTelemetry
// metrics (go.opentelemetry.io/otel/metric), so that a program that already
// exports metrics sees where its secrets come from, how often the store is
// called and how long a read takes.
//
//	obs, err := otelobs.New(meterProvider) // nil: otel.GetMeterProvider()
//	p, err := aws.NewParameterStore(ctx, s1crets.Observe(obs))
//
// The instruments, of the meter "github.com/s1crets/s1crets/otelobs":
//
//	s1crets.cache.hits          counter {read}     reads answered by a cache: s1crets.provider, s1crets.tier
//	s1crets.cache.misses        counter {read}     reads a cache could not answer: s1crets.provider, s1crets.tier
//	s1crets.fetch.duration      histogram s        reads that memory did not answer at once:
//	                                               s1crets.provider, s1crets.operation, s1crets.tier, s1crets.outcome
//	s1crets.store.calls         counter {call}     remote calls: s1crets.provider, s1crets.operation, s1crets.outcome
//	s1crets.cache.stale         counter {value}    expired values served (MaxStale): s1crets.provider, s1crets.operation
//	s1crets.cache.refreshes     counter {refresh}  refresh-aheads started: s1crets.provider
//	s1crets.cache.evictions     counter {entry}    entries evicted from memory: s1crets.provider
//	s1crets.cache.tier.failures counter {failure}  disk or shared tier failures: s1crets.provider, s1crets.tier, s1crets.operation
//
// s1crets.tier is "memory", "disk", "shared" or "store" (the store answered:
// in s1crets.fetch.duration only); s1crets.outcome is "ok", "not_found",
// "denied", "throttled", "network", "timeout" or "other". No attribute holds
// a secret's name or value: names would make a series per secret.
package otelobs

import (
	"context"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/s1crets/s1crets"
)

// ScopeName is the name of the meter.
const ScopeName = "github.com/s1crets/s1crets/otelobs"

// The attribute keys.
const (
	AttrProvider  = attribute.Key("s1crets.provider")
	AttrTier      = attribute.Key("s1crets.tier")
	AttrOperation = attribute.Key("s1crets.operation")
	AttrOutcome   = attribute.Key("s1crets.outcome")
)

// durationBuckets are the boundaries of s1crets.fetch.duration, in seconds:
// from a disk read (well under a millisecond) to a store call that retries
// (seconds).
var durationBuckets = []float64{0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Observer is an s1crets.Observer that records metrics. It is safe for
// concurrent use, and comparable (a pointer), so it can be given to
// s1crets.Open and the simple API.
type Observer struct {
	hits, misses, calls, stale, refreshes, evictions, tierFailures metric.Int64Counter
	duration                                                       metric.Float64Histogram

	// attrs caches the attribute sets by what they hold, so that an event
	// builds none.
	attrs sync.Map // attrKey -> metric.MeasurementOption
}

// New returns an Observer that records into a meter of mp, or of the global
// MeterProvider (otel.GetMeterProvider) when mp is nil.
func New(mp metric.MeterProvider) (*Observer, error) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(ScopeName)
	o := &Observer{}
	var err error
	counter := func(name, unit, desc string) metric.Int64Counter {
		if err != nil {
			return nil
		}
		var c metric.Int64Counter
		c, err = m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		return c
	}
	o.hits = counter("s1crets.cache.hits", "{read}", "Reads answered by a cache tier.")
	o.misses = counter("s1crets.cache.misses", "{read}", "Reads that a cache tier could not answer.")
	o.calls = counter("s1crets.store.calls", "{call}", "Remote calls of the secret store.")
	o.stale = counter("s1crets.cache.stale", "{value}", "Expired values served because the store failed transiently.")
	o.refreshes = counter("s1crets.cache.refreshes", "{refresh}", "Refresh-aheads started.")
	o.evictions = counter("s1crets.cache.evictions", "{entry}", "Entries evicted from memory to make room.")
	o.tierFailures = counter("s1crets.cache.tier.failures", "{failure}", "Failures of the disk or shared cache tier.")
	if err != nil {
		return nil, err
	}
	o.duration, err = m.Float64Histogram("s1crets.fetch.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of the reads that memory did not answer at once."),
		metric.WithExplicitBucketBoundaries(durationBuckets...))
	if err != nil {
		return nil, err
	}
	return o, nil
}

// attrKey is what an attribute set holds; has says which fields.
type attrKey struct {
	has      uint8
	provider string
	op       string
	tier     s1crets.Source
	outcome  s1crets.Outcome
}

const (
	hasOp uint8 = 1 << iota
	hasTier
	hasOutcome
)

// set returns the measurement option of the attributes of k.
func (o *Observer) set(k attrKey) metric.MeasurementOption {
	if v, ok := o.attrs.Load(k); ok {
		return v.(metric.MeasurementOption)
	}
	kvs := []attribute.KeyValue{AttrProvider.String(k.provider)}
	if k.has&hasOp != 0 {
		kvs = append(kvs, AttrOperation.String(k.op))
	}
	if k.has&hasTier != 0 {
		kvs = append(kvs, AttrTier.String(k.tier.String()))
	}
	if k.has&hasOutcome != 0 {
		kvs = append(kvs, AttrOutcome.String(k.outcome.String()))
	}
	v, _ := o.attrs.LoadOrStore(k, metric.WithAttributeSet(attribute.NewSet(kvs...)))
	return v.(metric.MeasurementOption)
}

func (o *Observer) tierSet(provider string, tier s1crets.Source) metric.MeasurementOption {
	return o.set(attrKey{has: hasTier, provider: provider, tier: tier})
}

// Observe implements s1crets.Observer.
func (o *Observer) Observe(e s1crets.Event) {
	ctx := context.Background()
	switch e.Kind {
	case s1crets.EventFetch:
		for _, t := range []s1crets.Source{s1crets.SourceMemory, s1crets.SourceDisk, s1crets.SourceShared} {
			if e.Missed.Has(t) {
				o.misses.Add(ctx, 1, o.tierSet(e.Provider, t))
			}
		}
		if e.Source != s1crets.SourceStore { // a cache's answer: a value, or a remembered not-found
			o.hits.Add(ctx, 1, o.tierSet(e.Provider, e.Source))
		}
		if e.Source != s1crets.SourceMemory {
			o.duration.Record(ctx, e.Duration.Seconds(), o.set(attrKey{has: hasOp | hasTier | hasOutcome,
				provider: e.Provider, op: e.Op, tier: e.Source, outcome: e.Outcome}))
		}
	case s1crets.EventCall:
		o.calls.Add(ctx, 1, o.set(attrKey{has: hasOp | hasOutcome, provider: e.Provider, op: e.Op, outcome: e.Outcome}))
	case s1crets.EventStale:
		o.stale.Add(ctx, 1, o.set(attrKey{has: hasOp, provider: e.Provider, op: e.Op}))
	case s1crets.EventRefresh:
		o.refreshes.Add(ctx, 1, o.set(attrKey{provider: e.Provider}))
	case s1crets.EventEvict:
		o.evictions.Add(ctx, 1, o.set(attrKey{provider: e.Provider}))
	case s1crets.EventTierFailure:
		o.tierFailures.Add(ctx, 1, o.set(attrKey{has: hasOp | hasTier, provider: e.Provider, op: e.Op, tier: e.Source}))
	}
}
