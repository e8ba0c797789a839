package agent

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/s1crets/s1crets"
)

// secretValue is Secrets Manager's GetSecretValue answer, field for field
// in the order of its JSON 1.1 API; empty fields are left out.
type secretValue struct {
	ARN           string      `json:",omitempty"`
	Name          string      `json:",omitempty"`
	VersionID     string      `json:"VersionId,omitempty"`
	SecretString  *string     `json:",omitempty"`
	SecretBinary  string      `json:",omitempty"`
	VersionStages []string    `json:",omitempty"`
	CreatedDate   json.Number `json:",omitempty"`
}

// parameter is Parameter Store's GetParameter answer's Parameter.
type parameter struct {
	ARN              string      `json:",omitempty"`
	DataType         string      `json:",omitempty"`
	LastModifiedDate json.Number `json:",omitempty"`
	Name             string      `json:",omitempty"`
	Selector         string      `json:",omitempty"`
	SourceResult     string      `json:",omitempty"`
	Type             string      `json:",omitempty"`
	Value            string
	Version          json.Number `json:",omitempty"`
}

// epoch writes t as the AWS JSON protocols do: seconds since the epoch, a
// number with a fraction of milliseconds when there is one.
func epoch(t time.Time) json.Number {
	if t.IsZero() {
		return ""
	}
	ms := t.UnixMilli()
	s := strconv.FormatInt(ms/1000, 10)
	if frac := ms % 1000; frac != 0 {
		if frac < 0 { // before 1970
			frac = -frac
		}
		s += "." + strings.TrimRight(strconv.FormatInt(1000+frac, 10)[1:], "0")
	}
	return json.Number(s)
}

// parseBool reads a boolean query value as the AWS agent does: true, false,
// 1 or 0, in any case.
func parseBool(s string) (v, ok bool) {
	switch strings.ToLower(s) {
	case "true", "1":
		return true, true
	case "false", "0":
		return false, true
	}
	return false, false
}

// getSecret answers GET /secretsmanager/get and GET /v1/ID: id is the
// secret from the path, or "" when the query names it.
func (s *Server) getSecret(w http.ResponseWriter, r *http.Request, rs *reqState, id string, q []param) {
	st := s.cfg.SecretsManager
	if st == nil {
		s.writeText(w, rs, http.StatusNotFound, "Not found")
		return
	}
	var opts []s1crets.Option
	for _, p := range q {
		k, v := p.key, p.value
		switch k {
		case "secretId":
			if id != "" { // the path names it
				s.writeText(w, rs, http.StatusBadRequest, "unknown parameter: "+k)
				return
			}
			id = v
		case "versionId":
			opts = append(opts, s1crets.VersionID(v))
		case "versionStage":
			opts = append(opts, s1crets.VersionStage(v))
		case "refreshNow":
			refresh, ok := parseBool(v)
			if !ok {
				s.writeText(w, rs, http.StatusBadRequest, "invalid refreshNow value")
				return
			}
			if refresh {
				opts = append(opts, s1crets.NoCache())
			}
		default:
			s.writeText(w, rs, http.StatusBadRequest, "unknown parameter: "+k)
			return
		}
	}
	if id == "" {
		s.writeText(w, rs, http.StatusBadRequest, "missing parameter secretId")
		return
	}
	ctx, cancel := s.lookupContext(r)
	defer cancel()
	v, err := st.Get(ctx, id, opts...)
	if err != nil {
		s.writeStoreError(w, rs, SecretsManager, err)
		return
	}
	m := metaOf(v)
	out := secretValue{ARN: m.ARN, Name: m.Name, VersionID: m.Version, VersionStages: m.Stages, CreatedDate: epoch(m.Created)}
	if out.Name == "" {
		out.Name = id
	}
	if v.IsBinary() {
		out.SecretBinary = base64.StdEncoding.EncodeToString(v.Bytes())
	} else {
		text := v.Text()
		out.SecretString = &text
	}
	s.writeJSON(w, rs, http.StatusOK, out)
}

// getParameter answers GET /systemsmanager/parameters/get.
func (s *Server) getParameter(w http.ResponseWriter, r *http.Request, rs *reqState, q []param) {
	st := s.cfg.ParameterStore
	if st == nil {
		s.writeText(w, rs, http.StatusNotFound, "Not found")
		return
	}
	var name, selector string
	decrypt, refresh := false, false // withDecryption defaults to false, as in the API
	for _, p := range q {
		k, v := p.key, p.value
		var ok bool
		switch k {
		case "name":
			name = v
		case "withDecryption":
			if decrypt, ok = parseBool(v); !ok {
				s.writeText(w, rs, http.StatusBadRequest, "invalid withDecryption value")
				return
			}
		case "refreshNow":
			if refresh, ok = parseBool(v); !ok {
				s.writeText(w, rs, http.StatusBadRequest, "invalid refreshNow value")
				return
			}
		case "version":
			if n, err := strconv.ParseUint(v, 10, 63); err != nil || n == 0 {
				s.writeText(w, rs, http.StatusBadRequest, "invalid version value")
				return
			}
			selector = ":" + v
		case "label":
			if v == "" {
				s.writeText(w, rs, http.StatusBadRequest, "invalid label value")
				return
			}
			selector = ":" + v
		default:
			s.writeText(w, rs, http.StatusBadRequest, "unknown parameter: "+k)
			return
		}
	}
	if has(q, "version") && has(q, "label") {
		s.writeText(w, rs, http.StatusBadRequest, "version and label cannot both be given")
		return
	}
	if name == "" {
		s.writeText(w, rs, http.StatusBadRequest, "missing parameter name")
		return
	}
	opts := []s1crets.Option{s1crets.Decrypt(decrypt)}
	if refresh {
		opts = append(opts, s1crets.NoCache())
	}
	ctx, cancel := s.lookupContext(r)
	defer cancel()
	v, err := st.Get(ctx, name+selector, opts...)
	if err != nil {
		s.writeStoreError(w, rs, ParameterStore, err)
		return
	}
	m := metaOf(v)
	p := parameter{ARN: m.ARN, DataType: m.DataType, LastModifiedDate: epoch(m.Created), Name: m.Name,
		Selector: m.Selector, SourceResult: m.SourceResult, Type: m.Type, Value: v.Text(), Version: json.Number(m.Version)}
	if p.Name == "" {
		p.Name, p.Selector = name, selector
	}
	s.writeJSON(w, rs, http.StatusOK, struct{ Parameter parameter }{p})
}
