package agent_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/s1crets/s1crets/internal/agent"
)

// The handler's own cost of a cached read, without the network, side by
// side with a handler that writes the same bytes and does nothing else:
//
//	go test -run '^$' -bench Handler -benchmem ./internal/agent/
//
// scripts/servebench measures the whole service over HTTP.
func BenchmarkHandler(b *testing.B) {
	fx := newFixture(b, func(c *agent.Config) { // serve's default: info
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	h := fx.srv.Handler()
	req := httptest.NewRequest(http.MethodGet, "/secretsmanager/get?secretId=app/json", nil)
	req.RemoteAddr = "127.0.0.1:40000"
	req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	body := rec.Body.Bytes()
	run := func(b *testing.B, h http.Handler) {
		b.ReportAllocs()
		for b.Loop() {
			h.ServeHTTP(nullWriter{}, req)
		}
	}
	b.Run("s1crets", func(b *testing.B) { run(b, h) })
	b.Run("bare", func(b *testing.B) {
		run(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.Write(body)
		}))
	})
}

// nullWriter is a ResponseWriter that keeps nothing, so that the benchmark
// measures the handler and not a recorder.
type nullWriter struct{}

var nullHeader = http.Header{}

func (nullWriter) Header() http.Header         { clear(nullHeader); return nullHeader }
func (nullWriter) Write(p []byte) (int, error) { return len(p), nil }
func (nullWriter) WriteHeader(int)             {}
func (nullWriter) WriteString(s string) (int, error) {
	return io.Discard.(io.StringWriter).WriteString(s)
}

// BenchmarkServeHTTP is a cached read over a keep-alive loopback connection:
// the server (listener, limits, handler) side by side with a bare
// http.Server answering the same bytes.
func BenchmarkServeHTTP(b *testing.B) {
	fx := newFixture(b, func(c *agent.Config) {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	path := "/secretsmanager/get?secretId=app/json"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
	get := func(b *testing.B, url string) []byte {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
		return body
	}
	body := get(b, fx.url+path)
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Write(body)
	}))
	b.Cleanup(bare.Close)
	for _, tc := range []struct{ name, url string }{{"s1crets", fx.url + path}, {"bare", bare.URL + path}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				get(b, tc.url)
			}
		})
	}
}
