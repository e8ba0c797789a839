package agent

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/s1crets/s1crets"
)

// serverMetrics are the server's own counters; the stores' come from their
// Stats.
type serverMetrics struct {
	rejected atomic.Uint64 // connections answered 429 (or closed) past MaxConnections

	mu       sync.Mutex // guards requests
	requests map[reqKey]uint64
}

type reqKey struct {
	endpoint string
	status   int
}

func (m *serverMetrics) request(endpoint string, status int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.requests == nil {
		m.requests = make(map[reqKey]uint64)
	}
	m.requests[reqKey{endpoint, status}]++
}

func (m *serverMetrics) snapshot() map[reqKey]uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[reqKey]uint64, len(m.requests))
	for k, v := range m.requests {
		out[k] = v
	}
	return out
}

// serveMetrics answers GET /metrics in the Prometheus text exposition
// format (version 0.0.4).
func (s *Server) serveMetrics(w http.ResponseWriter, rs *reqState) {
	rs.status = http.StatusOK
	secureHeaders(w.Header(), "text/plain; version=0.0.4; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriter(w)
	s.WriteMetrics(bw)
	bw.Flush()
}

// metricWriter writes one metric family after another.
type metricWriter struct {
	w   io.Writer
	err error
}

func (m *metricWriter) family(name, typ, help string) {
	m.printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// sample writes one sample; labels are name, value pairs (values from a
// fixed set, so none needs more than quoting).
func (m *metricWriter) sample(name string, v uint64, labels ...string) {
	m.printf("%s", name)
	for i := 0; i+1 < len(labels); i += 2 {
		sep := ","
		if i == 0 {
			sep = "{"
		}
		m.printf("%s%s=%s", sep, labels[i], strconv.Quote(labels[i+1]))
	}
	if len(labels) > 0 {
		m.printf("}")
	}
	m.printf(" %d\n", v)
}

func (m *metricWriter) printf(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format, args...)
	}
}

// WriteMetrics writes the metrics of the server and of its stores' Stats in
// the Prometheus text exposition format, as GET /metrics answers them.
func (s *Server) WriteMetrics(w io.Writer) error {
	type named struct {
		name string
		st   s1crets.Stats
	}
	var stores []named
	if s.cfg.SecretsManager != nil {
		stores = append(stores, named{SecretsManager, s.cfg.SecretsManager.Stats()})
	}
	if s.cfg.ParameterStore != nil {
		stores = append(stores, named{ParameterStore, s.cfg.ParameterStore.Stats()})
	}
	m := &metricWriter{w: w}
	tiers := func(name, help string, get func(s1crets.TierStats) uint64) {
		m.family(name, "counter", help)
		for _, n := range stores {
			for _, t := range []struct {
				tier string
				ts   s1crets.TierStats
			}{{"memory", n.st.Memory}, {"disk", n.st.Disk}, {"shared", n.st.Shared}} {
				m.sample(name, get(t.ts), "provider", n.name, "tier", t.tier)
			}
		}
	}
	tiers("s1crets_cache_hits_total", "Reads a cache tier answered (memory hits are counted when CountHits is set).",
		func(t s1crets.TierStats) uint64 { return t.Hits })
	tiers("s1crets_cache_misses_total", "Reads a cache tier could not answer and passed on.",
		func(t s1crets.TierStats) uint64 { return t.Misses })
	tiers("s1crets_cache_failures_total", "Failures of a cache tier (never a changed result).",
		func(t s1crets.TierStats) uint64 { return t.Failures })

	m.family("s1crets_remote_calls_total", "counter", "Remote calls of the store by operation.")
	for _, n := range stores {
		c := n.st.Calls
		for _, op := range []struct {
			name string
			v    uint64
		}{{"get", c.Get}, {"get_by_path", c.GetByPath}, {"get_many", c.GetMany}, {"update", c.Update},
			{"path_exists", c.PathExists}, {"identity", c.Identity}} {
			m.sample("s1crets_remote_calls_total", op.v, "provider", n.name, "op", op.name)
		}
	}
	m.family("s1crets_remote_errors_total", "counter", "Remote calls of the store that failed, by kind.")
	for _, n := range stores {
		e := n.st.Errors
		for _, k := range []struct {
			o s1crets.Outcome
			v uint64
		}{{s1crets.OutcomeNotFound, e.NotFound}, {s1crets.OutcomeDenied, e.Denied}, {s1crets.OutcomeThrottled, e.Throttled},
			{s1crets.OutcomeNetwork, e.Network}, {s1crets.OutcomeTimeout, e.Timeout}, {s1crets.OutcomeOther, e.Other}} {
			m.sample("s1crets_remote_errors_total", k.v, "provider", n.name, "kind", k.o.String())
		}
	}
	for _, c := range []struct {
		name, typ, help string
		get             func(s1crets.Stats) uint64
	}{
		{"s1crets_stale_served_total", "counter", "Expired values served because the store failed transiently (MaxStale).",
			func(s s1crets.Stats) uint64 { return s.Stale }},
		{"s1crets_refreshes_total", "counter", "Refresh-aheads started.",
			func(s s1crets.Stats) uint64 { return s.Refreshes }},
		{"s1crets_evictions_total", "counter", "Entries dropped from memory to make room.",
			func(s s1crets.Stats) uint64 { return s.Evictions }},
		{"s1crets_in_flight_loads", "gauge", "Loads in progress.",
			func(s s1crets.Stats) uint64 { return uint64(max(s.InFlight, 0)) }},
	} {
		m.family(c.name, c.typ, c.help)
		for _, n := range stores {
			m.sample(c.name, c.get(n.st), "provider", n.name)
		}
	}
	m.family("s1crets_cache_entries", "gauge", "Entries cached in memory: values and listings.")
	for _, n := range stores {
		m.sample("s1crets_cache_entries", uint64(max(n.st.Values, 0)), "provider", n.name, "kind", "value")
		m.sample("s1crets_cache_entries", uint64(max(n.st.Listings, 0)), "provider", n.name, "kind", "listing")
	}

	m.family("s1crets_http_requests_total", "counter", "HTTP requests by endpoint and status code.")
	reqs := s.metrics.snapshot()
	keys := make([]reqKey, 0, len(reqs))
	for k := range reqs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b reqKey) int {
		if a.endpoint != b.endpoint {
			if a.endpoint < b.endpoint {
				return -1
			}
			return 1
		}
		return a.status - b.status
	})
	for _, k := range keys {
		m.sample("s1crets_http_requests_total", reqs[k], "endpoint", k.endpoint, "code", strconv.Itoa(k.status))
	}
	m.family("s1crets_http_rejected_connections_total", "counter", "Connections refused past the connection limit.")
	m.sample("s1crets_http_rejected_connections_total", s.metrics.rejected.Load())
	m.family("s1crets_http_open_connections", "gauge", "Open HTTP connections.")
	m.sample("s1crets_http_open_connections", uint64(s.conns.current()))
	return m.err
}
