package agent

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// The endpoints, as the metrics and the log name them: a fixed set, so that
// no request can add a label value.
const (
	epSecretsManager = "secretsmanager"
	epPathStyle      = "v1"
	epParameters     = "parameters"
	epMany           = "get"
	epInvalidate     = "invalidate"
	epPing           = "ping"
	epHealthz        = "healthz"
	epMetrics        = "metrics"
	epOther          = "other"
)

// The token headers, in the order the AWS agent checks them.
var tokenHeaders = []string{"X-Aws-Parameters-Secrets-Token", "X-Vault-Token"}

// reqState is what the handler learns about a request for its log line.
type reqState struct {
	endpoint string
	status   int
	code     string // the store's error code of a failed lookup
}

// Handler returns the server's http.Handler, for tests and for serving it
// with a server of one's own (Serve adds the connection limit and the
// server's timeouts, which a bare Handler lacks). Requests whose
// RemoteAddr is not a loopback address are refused unless
// Config.AllowNonLoopback is set or they came through a Unix socket.
//
// Besides the endpoints of the AWS services (see the package doc), it
// answers:
//
// GET /s1crets/get?provider=P&name=N[&name=M...] reads up to MaxNames
// secrets in as few remote calls as the store allows, and
// GET /s1crets/get?provider=P&path=PATH[&recursive=false] reads the secrets
// below PATH. Both take keyPath=a.b (or key=a&key=b, for keys with dots) to
// look into JSON secrets, withDecryption=false (aws.ps; default true) and
// refreshNow=true. provider may be left out when the server has one store.
// The answer is 200 with
//
//	{"values": {"NAME": "text or base64", ...},
//	 "binary": ["NAME", ...],
//	 "errors": {"NAME": {"__type": "CODE", "message": "..."}, ...}}
//
// where "binary" lists the values that are base64-encoded bytes, a value
// found by a key path that is not a string is its compact JSON text, and
// "errors" has the names that could not be read (missing ones with the
// store's not-found code); "binary" and "errors" are left out when empty. A
// failure of the whole read is answered as a single lookup's.
//
// POST /s1crets/invalidate?provider=P&name=N drops every cached form of N
// from memory and every cache tier; it answers {"invalidated": "N"}.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rs := &reqState{endpoint: s.endpointOf(r.URL.Path)}
	s.route(w, r, rs)
	s.metrics.request(rs.endpoint, rs.status)
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "request", slog.String("method", r.Method),
			slog.String("endpoint", rs.endpoint), slog.Int("status", rs.status),
			slog.Duration("duration", time.Since(start)), slog.String("code", rs.code))
	}
}

func (s *Server) endpointOf(path string) string {
	switch path {
	case "/secretsmanager/get":
		return epSecretsManager
	case "/systemsmanager/parameters/get":
		return epParameters
	case "/s1crets/get":
		return epMany
	case "/s1crets/invalidate":
		return epInvalidate
	case "/ping":
		return epPing
	case "/healthz":
		return epHealthz
	case "/metrics":
		return epMetrics
	}
	if strings.HasPrefix(path, s.cfg.PathPrefix) {
		return epPathStyle
	}
	return epOther
}

// route checks the request, in the AWS agent's order where it has one, and
// answers it.
func (s *Server) route(w http.ResponseWriter, r *http.Request, rs *reqState) {
	if !s.allowedPeer(r) {
		s.writeText(w, rs, http.StatusForbidden, "Forbidden")
		return
	}
	if len(r.URL.RawQuery) > MaxQueryBytes {
		s.writeText(w, rs, http.StatusBadRequest, "query string too long")
		return
	}
	switch rs.endpoint {
	case epPing, epHealthz, epMetrics: // no token: health checks and scrapers
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			s.writeText(w, rs, http.StatusMethodNotAllowed, "Not allowed")
			return
		}
		switch rs.endpoint {
		case epPing:
			s.writeText(w, rs, http.StatusOK, "healthy")
		case epHealthz:
			if s.closing.Load() {
				s.writeText(w, rs, http.StatusServiceUnavailable, "shutting down")
			} else {
				s.writeText(w, rs, http.StatusOK, "ok")
			}
		default:
			s.serveMetrics(w, rs)
		}
		return
	}
	if _, ok := r.Header["X-Forwarded-For"]; ok {
		s.writeText(w, rs, http.StatusBadRequest, "Forwarded")
		return
	}
	if !s.validToken(r.Header) {
		s.writeText(w, rs, http.StatusForbidden, "Bad Token")
		return
	}
	want := http.MethodGet
	if rs.endpoint == epInvalidate {
		want = http.MethodPost
	}
	if r.Method != want {
		w.Header().Set("Allow", want)
		s.writeText(w, rs, http.StatusMethodNotAllowed, "Not allowed")
		return
	}
	if rs.endpoint == epOther {
		s.writeText(w, rs, http.StatusNotFound, "Not found")
		return
	}
	if !s.enabled.Load() {
		s.writeText(w, rs, http.StatusServiceUnavailable, "Serving not enabled")
		return
	}
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		s.writeText(w, rs, http.StatusBadRequest, err.Error())
		return
	}
	multi := map[string]bool{}
	if rs.endpoint == epMany {
		multi = map[string]bool{"name": true, "key": true}
	}
	if k := duplicate(q, multi); k != "" {
		s.writeText(w, rs, http.StatusBadRequest, "duplicate parameter: "+k)
		return
	}
	switch rs.endpoint {
	case epSecretsManager:
		s.getSecret(w, r, rs, "", q)
	case epPathStyle:
		id := strings.TrimPrefix(r.URL.Path, s.cfg.PathPrefix)
		if id == "" {
			s.writeText(w, rs, http.StatusBadRequest, "missing secret ID")
			return
		}
		s.getSecret(w, r, rs, id, q)
	case epParameters:
		s.getParameter(w, r, rs, q)
	case epMany:
		s.getMany(w, r, rs, q)
	case epInvalidate:
		s.invalidate(w, r, rs, q)
	}
}

// allowedPeer reports whether the request may be answered: it came through
// a Unix socket (whose file's permissions let the peer in), from a loopback
// address, or AllowNonLoopback is set.
func (s *Server) allowedPeer(r *http.Request) bool {
	if s.cfg.AllowNonLoopback {
		return true
	}
	if unix, _ := r.Context().Value(connKey{}).(bool); unix {
		return true
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

// validToken reports whether one of the token headers holds the token,
// comparing in constant time.
func (s *Server) validToken(h http.Header) bool {
	ok := 0
	for _, name := range tokenHeaders {
		for _, v := range h.Values(name) {
			ok |= subtle.ConstantTimeCompare([]byte(v), []byte(s.cfg.Token))
		}
	}
	return ok == 1
}

// lookupContext bounds a lookup by Config.RequestTimeout.
func (s *Server) lookupContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
}

// param is one key=value pair of a query string, in the order given.
type param struct{ key, value string }

// parseQuery parses a query string strictly: a bad escape or a ";" is an
// error, as a silently dropped pair could change what is read.
func parseQuery(raw string) ([]param, error) {
	var out []param
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		if strings.Contains(pair, ";") {
			return nil, errors.New("invalid query string: \";\" is not a separator")
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err1 := url.QueryUnescape(k)
		value, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, errors.New("invalid query string: bad escape")
		}
		out = append(out, param{key, value})
	}
	return out, nil
}

// duplicate returns the first key given twice that may be given only once.
func duplicate(q []param, multi map[string]bool) string {
	seen := make(map[string]bool, len(q))
	for _, p := range q {
		if seen[p.key] && !multi[p.key] {
			return p.key
		}
		seen[p.key] = true
	}
	return ""
}

func has(q []param, key string) bool {
	for _, p := range q {
		if p.key == key {
			return true
		}
	}
	return false
}

// secureHeaders are set on every answer: none may be cached or sniffed.
func secureHeaders(h http.Header, contentType string) {
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
}

func (s *Server) writeText(w http.ResponseWriter, rs *reqState, status int, msg string) {
	rs.status = status
	secureHeaders(w.Header(), "text/plain; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(msg))
}

func (s *Server) writeJSON(w http.ResponseWriter, rs *reqState, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // strings, numbers and maps of them: cannot happen
		s.writeRaw(w, rs, internalFailure.Status, internalFailure.body())
		return
	}
	s.writeRaw(w, rs, status, b)
}

func (s *Server) writeRaw(w http.ResponseWriter, rs *reqState, status int, b []byte) {
	rs.status = status
	secureHeaders(w.Header(), "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// writeStoreError answers a failed lookup as the store would, and logs its
// code (the error's text only at Debug: it names the secret, never a value).
func (s *Server) writeStoreError(w http.ResponseWriter, rs *reqState, provider string, err error) {
	e := errorOf(provider, err)
	rs.code = e.Code
	s.log.LogAttrs(context.Background(), slog.LevelWarn, "lookup failed", slog.String("endpoint", rs.endpoint),
		slog.Int("status", e.Status), slog.String("code", e.Code))
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		s.log.LogAttrs(context.Background(), slog.LevelDebug, "lookup error", slog.String("endpoint", rs.endpoint),
			slog.String("error", err.Error()))
	}
	s.writeRaw(w, rs, e.Status, e.body())
}
