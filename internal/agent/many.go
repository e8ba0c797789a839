package agent

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"

	"github.com/s1crets/s1crets"
)

// manyAnswer is the answer of GET /s1crets/get.
type manyAnswer struct {
	Values map[string]string     `json:"values"`
	Binary []string              `json:"binary,omitempty"`
	Errors map[string]storeError `json:"errors,omitempty"`
}

// store returns the store named by the provider parameter, or the only
// one; "" and an error message when there is none.
func (s *Server) store(name string, given bool) (Store, string, string) {
	if !given {
		switch {
		case s.cfg.SecretsManager != nil && s.cfg.ParameterStore == nil:
			return s.cfg.SecretsManager, SecretsManager, ""
		case s.cfg.ParameterStore != nil && s.cfg.SecretsManager == nil:
			return s.cfg.ParameterStore, ParameterStore, ""
		}
		return nil, "", "missing parameter provider (" + SecretsManager + " or " + ParameterStore + ")"
	}
	switch {
	case name == SecretsManager && s.cfg.SecretsManager != nil:
		return s.cfg.SecretsManager, name, ""
	case name == ParameterStore && s.cfg.ParameterStore != nil:
		return s.cfg.ParameterStore, name, ""
	}
	return nil, "", "unknown provider (served: " + strings.Join(s.served(), ", ") + ")"
}

func (s *Server) served() []string {
	var out []string
	if s.cfg.SecretsManager != nil {
		out = append(out, SecretsManager)
	}
	if s.cfg.ParameterStore != nil {
		out = append(out, ParameterStore)
	}
	return out
}

// getMany answers GET /s1crets/get; see Handler.
func (s *Server) getMany(w http.ResponseWriter, r *http.Request, rs *reqState, q []param) {
	var (
		providerName, path, keyPath string
		providerGiven, pathGiven    bool
		names, keys                 []string
		opts                        []s1crets.Option
		recursive                   *bool
	)
	for _, p := range q {
		switch p.key {
		case "provider":
			providerName, providerGiven = p.value, true
		case "name":
			if p.value == "" {
				s.writeText(w, rs, http.StatusBadRequest, "empty name")
				return
			}
			names = append(names, p.value)
		case "path":
			path, pathGiven = p.value, true
		case "recursive":
			b, ok := parseBool(p.value)
			if !ok {
				s.writeText(w, rs, http.StatusBadRequest, "invalid recursive value")
				return
			}
			recursive = &b
		case "keyPath":
			keyPath = p.value
		case "key":
			keys = append(keys, p.value)
		case "withDecryption":
			b, ok := parseBool(p.value)
			if !ok {
				s.writeText(w, rs, http.StatusBadRequest, "invalid withDecryption value")
				return
			}
			opts = append(opts, s1crets.Decrypt(b))
		case "refreshNow":
			b, ok := parseBool(p.value)
			if !ok {
				s.writeText(w, rs, http.StatusBadRequest, "invalid refreshNow value")
				return
			}
			if b {
				opts = append(opts, s1crets.NoCache())
			}
		default:
			s.writeText(w, rs, http.StatusBadRequest, "unknown parameter: "+p.key)
			return
		}
	}
	st, provider, msg := s.store(providerName, providerGiven)
	if st == nil {
		s.writeText(w, rs, http.StatusBadRequest, msg)
		return
	}
	switch {
	case len(names) > 0 && pathGiven, len(names) == 0 && !pathGiven:
		s.writeText(w, rs, http.StatusBadRequest, "give either name (one or more) or path")
		return
	case len(names) > MaxNames:
		s.writeText(w, rs, http.StatusBadRequest, "too many names: at most 100")
		return
	case recursive != nil && !pathGiven:
		s.writeText(w, rs, http.StatusBadRequest, "recursive applies only to path")
		return
	case keyPath != "" && len(keys) > 0:
		s.writeText(w, rs, http.StatusBadRequest, "give either keyPath or key, not both")
		return
	case pathGiven && path == "":
		s.writeText(w, rs, http.StatusBadRequest, "empty path")
		return
	}
	if keyPath != "" {
		keys = strings.Split(keyPath, ".")
		if slices.Contains(keys, "") {
			s.writeText(w, rs, http.StatusBadRequest, "invalid keyPath: empty key (use key= for keys with dots)")
			return
		}
	}
	ctx, cancel := s.lookupContext(r)
	defer cancel()
	ans := manyAnswer{Values: map[string]string{}, Errors: map[string]storeError{}}
	if pathGiven {
		if recursive != nil {
			opts = append(opts, s1crets.Recursive(*recursive))
		}
		m, err := st.GetByPath(ctx, path, opts...)
		if err != nil {
			s.writeStoreError(w, rs, provider, err)
			return
		}
		for name, v := range m {
			if v, err = v.Lookup(keys...); err != nil {
				ans.Errors[name] = errorOf(provider, err)
				continue
			}
			ans.add(name, v)
		}
	} else {
		if len(keys) > 0 {
			opts = append(opts, s1crets.KeyPath(keys...))
		}
		many, err := st.GetMany(ctx, names, opts...)
		if err != nil {
			s.writeStoreError(w, rs, provider, err)
			return
		}
		for name, v := range many.Values {
			ans.add(name, v)
		}
		for _, name := range many.Missing {
			ans.Errors[name] = errorOf(provider, s1crets.ErrNotFound)
		}
		for name, err := range many.Failed {
			ans.Errors[name] = errorOf(provider, err)
		}
	}
	slices.Sort(ans.Binary)
	if len(ans.Errors) > 0 {
		codes := make([]string, 0, len(ans.Errors))
		for _, e := range ans.Errors {
			codes = append(codes, e.Code)
		}
		slices.Sort(codes)
		rs.code = strings.Join(slices.Compact(codes), ",")
	}
	s.writeJSON(w, rs, http.StatusOK, ans)
}

func (a *manyAnswer) add(name string, v s1crets.Value) {
	if v.IsBinary() {
		a.Values[name] = base64.StdEncoding.EncodeToString(v.Bytes())
		a.Binary = append(a.Binary, name)
		return
	}
	a.Values[name] = v.Text()
}

// invalidate answers POST /s1crets/invalidate.
func (s *Server) invalidate(w http.ResponseWriter, r *http.Request, rs *reqState, q []param) {
	var providerName, name string
	var providerGiven bool
	for _, p := range q {
		switch p.key {
		case "provider":
			providerName, providerGiven = p.value, true
		case "name":
			name = p.value
		default:
			s.writeText(w, rs, http.StatusBadRequest, "unknown parameter: "+p.key)
			return
		}
	}
	st, provider, msg := s.store(providerName, providerGiven)
	if st == nil {
		s.writeText(w, rs, http.StatusBadRequest, msg)
		return
	}
	if name == "" {
		s.writeText(w, rs, http.StatusBadRequest, "missing parameter name")
		return
	}
	ctx, cancel := s.lookupContext(r)
	defer cancel()
	if err := st.Invalidate(ctx, name); err != nil {
		s.writeStoreError(w, rs, provider, err)
		return
	}
	s.writeJSON(w, rs, http.StatusOK, map[string]string{"invalidated": name})
}
