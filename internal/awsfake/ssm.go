package awsfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Parameter is an SSM parameter. It is the argument of [Server.PutParameter]
// and the result of [Server.Parameter].
type Parameter struct {
	Name string
	// Value is the plaintext value (also for SecureString).
	Value string
	// Type is "String", "StringList" or "SecureString"; default "String".
	Type string
	// KeyId is the KMS key of a SecureString; default "alias/aws/ssm".
	KeyId string //nolint:revive // named like the AWS field
	// Description of the parameter.
	Description string
	// Tier is "Standard" (default) or "Advanced".
	Tier string
	// DataType is "text" (default), "aws:ec2:image" or "aws:ssm:integration".
	DataType string
	// AllowedPattern is a regular expression the value must match whole.
	AllowedPattern string

	// Version, LastModifiedDate and ARN are maintained by the server and
	// ignored by [Server.PutParameter].
	Version          int64
	LastModifiedDate time.Time
	ARN              string
}

const (
	defaultSSMKey = "alias/aws/ssm"
	// secretRefPrefix is the reserved path under which GetParameter reads
	// Secrets Manager secrets.
	secretRefPrefix = "/aws/reference/secretsmanager/"
	// Name rules of PutParameter.
	maxParamNameLen   = 1011
	maxParamLevels    = 15
	maxStandardValue  = 4096
	maxAdvancedValue  = 8192
	maxByPathResults  = 10
	maxDescribeResult = 50
	maxGetParameters  = 10
)

// Ciphertext returns the placeholder the fake returns as the value of the
// SecureString parameter name when it is read without WithDecryption (real
// AWS returns the KMS ciphertext): base64 of "ciphertext:"+name.
func Ciphertext(name string) string {
	return base64.StdEncoding.EncodeToString([]byte("ciphertext:" + name))
}

// PutParameter seeds or replaces a parameter without counting a request and
// without the validation of the PutParameter operation. Empty fields take
// the defaults of AWS; an existing parameter's Version is incremented.
func (s *Server) PutParameter(p Parameter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.Type == "" {
		p.Type = "String"
	}
	if p.Type == "SecureString" && p.KeyId == "" {
		p.KeyId = defaultSSMKey
	}
	if p.Type != "SecureString" {
		p.KeyId = ""
	}
	if p.Tier == "" {
		p.Tier = "Standard"
	}
	if p.DataType == "" {
		p.DataType = "text"
	}
	p.Version = 1
	if old, ok := s.params[p.Name]; ok {
		p.Version = old.Version + 1
	}
	p.LastModifiedDate = time.Now()
	p.ARN = s.paramARN(p.Name)
	s.setParam(&p)
}

// setParam makes p the current version of its parameter, keeping the
// former versions for selectors. s.mu held.
func (s *Server) setParam(p *Parameter) {
	s.params[p.Name] = p
	s.paramVersions[p.Name] = append(s.paramVersions[p.Name], *p)
}

// LabelParameterVersion attaches labels to version of the parameter name,
// moving them from the version that had them, as the LabelParameterVersion
// operation does (without counting a request). A label selects its version
// in GetParameter and GetParameters ("name:label"). It reports whether the
// parameter has that version.
func (s *Server) LabelParameterVersion(name string, version int64, labels ...string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.versionOf(name, version); !ok {
		return false
	}
	m := s.paramLabels[name]
	if m == nil {
		m = map[string]int64{}
		s.paramLabels[name] = m
	}
	for _, l := range labels {
		m[l] = version
	}
	return true
}

// versionOf returns the version of the parameter name. s.mu held.
func (s *Server) versionOf(name string, version int64) (Parameter, bool) {
	for _, p := range s.paramVersions[name] {
		if p.Version == version {
			return p, true
		}
	}
	return Parameter{}, false
}

// splitSelector splits a GetParameter(s) name, or ARN, into the name and
// its selector (":3" or ":label", "" without one). Parameter names hold no
// ":", so a ":" after the name (after ":parameter/" in an ARN) starts the
// selector.
func splitSelector(n string) (base, sel string) {
	from := 0
	if strings.HasPrefix(n, "arn:") {
		i := strings.Index(n, ":parameter/")
		if i < 0 {
			return n, ""
		}
		from = i + len(":parameter/")
	}
	if i := strings.IndexByte(n[from:], ':'); i >= 0 {
		return n[:from+i], n[from+i:]
	}
	return n, ""
}

// lookupSelected finds the parameter that name (a name or an ARN, with or
// without a selector) selects: the current version, or the one of the
// version number or label. aerr is ParameterNotFound or
// ParameterVersionNotFound. s.mu held.
func (s *Server) lookupSelected(name string) (p *Parameter, sel string, aerr *apiError) {
	base, sel := splitSelector(name)
	cur, ok := s.lookupParam(base)
	if !ok {
		return nil, sel, paramNotFound(name)
	}
	if sel == "" {
		return cur, "", nil
	}
	what := sel[1:]
	var version int64
	if n, err := strconv.ParseInt(what, 10, 64); err == nil {
		version = n
	} else if v, ok := s.paramLabels[cur.Name][what]; ok {
		version = v
	} else {
		return nil, sel, errf("ParameterVersionNotFound", "Systems Manager could not find version %s of %s. Verify the version and try again.", what, base)
	}
	old, ok := s.versionOf(cur.Name, version)
	if !ok {
		return nil, sel, errf("ParameterVersionNotFound", "Systems Manager could not find version %s of %s. Verify the version and try again.", what, base)
	}
	return &old, sel, nil
}

// Parameter returns the current state of the named parameter.
func (s *Server) Parameter(name string) (Parameter, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.params[name]
	if !ok {
		return Parameter{}, false
	}
	return *p, true
}

func (s *Server) paramARN(name string) string {
	return fmt.Sprintf("arn:aws:ssm:%s:%s:parameter%s", s.region, s.account, hierName(name))
}

// hierName is name with a leading "/": AWS puts names without one at the
// root of the hierarchy.
func hierName(name string) string {
	if strings.HasPrefix(name, "/") {
		return name
	}
	return "/" + name
}

type ssmParamJSON struct {
	Name             string `json:"Name"`
	Type             string `json:"Type"`
	Value            string `json:"Value"`
	Version          int64  `json:"Version"`
	Selector         string `json:"Selector,omitempty"`
	SourceResult     string `json:"SourceResult,omitempty"`
	LastModifiedDate *epoch `json:"LastModifiedDate,omitempty"`
	ARN              string `json:"ARN,omitempty"`
	DataType         string `json:"DataType,omitempty"`
}

type ssmParamMetaJSON struct {
	Name             string `json:"Name"`
	ARN              string `json:"ARN"`
	Type             string `json:"Type"`
	KeyId            string `json:"KeyId,omitempty"` //nolint:revive // AWS name
	LastModifiedDate *epoch `json:"LastModifiedDate,omitempty"`
	LastModifiedUser string `json:"LastModifiedUser,omitempty"`
	Description      string `json:"Description,omitempty"`
	AllowedPattern   string `json:"AllowedPattern,omitempty"`
	Version          int64  `json:"Version"`
	Tier             string `json:"Tier"`
	Policies         []any  `json:"Policies"`
	DataType         string `json:"DataType"`
}

func (s *Server) paramOut(p *Parameter, decrypt bool) ssmParamJSON {
	v := p.Value
	if p.Type == "SecureString" && !decrypt {
		v = Ciphertext(p.Name)
	}
	return ssmParamJSON{
		Name:             p.Name,
		Type:             p.Type,
		Value:            v,
		Version:          p.Version,
		LastModifiedDate: epochPtr(p.LastModifiedDate),
		ARN:              p.ARN,
		DataType:         p.DataType,
	}
}

func (s *Server) paramMeta(p *Parameter) ssmParamMetaJSON {
	return ssmParamMetaJSON{
		Name:             p.Name,
		ARN:              p.ARN,
		Type:             p.Type,
		KeyId:            p.KeyId,
		LastModifiedDate: epochPtr(p.LastModifiedDate),
		LastModifiedUser: fmt.Sprintf("arn:aws:iam::%s:user/fake", s.account),
		Description:      p.Description,
		AllowedPattern:   p.AllowedPattern,
		Version:          p.Version,
		Tier:             p.Tier,
		Policies:         []any{},
		DataType:         p.DataType,
	}
}

// lookupParam finds a parameter by name or by its ARN. s.mu held.
func (s *Server) lookupParam(name string) (*Parameter, bool) {
	if p, ok := s.params[name]; ok {
		return p, true
	}
	prefix := fmt.Sprintf("arn:aws:ssm:%s:%s:parameter", s.region, s.account)
	if rest, ok := strings.CutPrefix(name, prefix); ok && strings.HasPrefix(rest, "/") {
		if p, ok := s.params[rest]; ok {
			return p, true
		}
		if p, ok := s.params[rest[1:]]; ok {
			return p, true
		}
	}
	return nil, false
}

func paramNotFound(name string) *apiError {
	return errf("ParameterNotFound", "Parameter %s not found.", name)
}

// secretRef answers a read of /aws/reference/secretsmanager/<id>. s.mu held.
func (s *Server) secretRef(name string, decrypt bool) (ssmParamJSON, *apiError) {
	if !decrypt {
		return ssmParamJSON{}, errf("ValidationException", "WithDecryption flag must be True for retrieving a Secret Manager secret.")
	}
	if s.denied["GetSecretValue"] {
		return ssmParamJSON{}, errf("AccessDeniedException", "%s", s.deniedMessage("secretsmanager", "GetSecretValue"))
	}
	id := strings.TrimPrefix(name, secretRefPrefix)
	sec := s.findSecret(id)
	if sec == nil {
		return ssmParamJSON{}, errf("ParameterNotFound", "Secrets Manager can't find the specified secret.")
	}
	v := sec.byStage(stageCurrent)
	if v == nil {
		return ssmParamJSON{}, errf("ParameterNotFound", "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT")
	}
	val := v.value()
	if v.binary != nil {
		val = base64.StdEncoding.EncodeToString(v.binary)
	}
	src, _ := json.Marshal(map[string]any{
		"ARN":           sec.arn,
		"Name":          sec.name,
		"VersionId":     v.id,
		"VersionStages": v.stageList(),
		"CreatedDate":   epoch(v.created),
	})
	return ssmParamJSON{
		Name:             name,
		Type:             "SecureString",
		Value:            val,
		Version:          0,
		SourceResult:     string(src),
		LastModifiedDate: epochPtr(v.created),
		ARN:              sec.arn,
		DataType:         "text",
	}, nil
}

// ssmGetParameter implements GetParameter. A Name may be the parameter's
// ARN and may end in a version or label selector ("name:3",
// "name:label"): the answer then holds that version, the bare name and the
// Selector, as AWS answers.
func (s *Server) ssmGetParameter(_ Request, body []byte) (any, *apiError) {
	var in struct {
		Name           *string
		WithDecryption *bool
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if in.Name == nil || *in.Name == "" {
		return nil, errf("ValidationException", "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null")
	}
	dec := in.WithDecryption != nil && *in.WithDecryption
	if strings.HasPrefix(*in.Name, secretRefPrefix) {
		out, e := s.secretRef(*in.Name, dec)
		if e != nil {
			return nil, e
		}
		return map[string]any{"Parameter": out}, nil
	}
	p, sel, e := s.lookupSelected(*in.Name)
	if e != nil {
		return nil, e
	}
	out := s.paramOut(p, dec)
	out.Selector = sel
	return map[string]any{"Parameter": out}, nil
}

// ssmGetParameters implements GetParameters (1 to 10 names). Parameters come
// back in request order, duplicates once.
func (s *Server) ssmGetParameters(_ Request, body []byte) (any, *apiError) {
	var in struct {
		Names          []string
		WithDecryption *bool
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if len(in.Names) == 0 {
		return nil, errf("ValidationException", "1 validation error detected: Value '[]' at 'names' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	if len(in.Names) > maxGetParameters {
		return nil, errf("ValidationException", "1 validation error detected: Value '[%s]' at 'names' failed to satisfy constraint: Member must have length less than or equal to %d",
			strings.Join(in.Names, ", "), maxGetParameters)
	}
	dec := in.WithDecryption != nil && *in.WithDecryption
	params := []ssmParamJSON{}
	invalid := []string{}
	seen := map[string]bool{}
	for _, n := range in.Names {
		if seen[n] {
			continue
		}
		seen[n] = true
		if strings.HasPrefix(n, secretRefPrefix) {
			out, e := s.secretRef(n, dec)
			switch {
			case e == nil:
				params = append(params, out)
			case e.code == "ParameterNotFound":
				invalid = append(invalid, n)
			default:
				return nil, e
			}
			continue
		}
		if p, sel, e := s.lookupSelected(n); e == nil {
			out := s.paramOut(p, dec)
			out.Selector = sel
			params = append(params, out)
		} else {
			invalid = append(invalid, n)
		}
	}
	return map[string]any{"Parameters": params, "InvalidParameters": invalid}, nil
}

type ssmParamFilter struct {
	Key    string
	Option *string
	Values []string
}

var pathNameMessage = `The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash "/". ` +
	`It can't be prefixed with "aws" or "ssm" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). ` +
	`Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.`

// underPath reports whether the parameter name lies under path (directly
// when !recursive).
func underPath(name, path string, recursive bool) bool {
	prefix := path
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	hn := hierName(name)
	if !strings.HasPrefix(hn, prefix) {
		return false
	}
	rest := hn[len(prefix):]
	return rest != "" && (recursive || !strings.Contains(rest, "/"))
}

func validPath(path string) bool {
	if !strings.HasPrefix(path, "/") || len(path) > maxParamNameLen {
		return false
	}
	if strings.Count(strings.TrimSuffix(path, "/"), "/") > maxParamLevels {
		return false
	}
	return path == "/" || paramNameChars.MatchString(path)
}

// checkMaxResults validates an optional MaxResults against 1..limit and
// returns the page size (limit when unset).
func checkMaxResults(v *int, limit int) (int, *apiError) {
	if v == nil {
		return limit, nil
	}
	if *v < 1 {
		return 0, errf("ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1", *v)
	}
	if *v > limit {
		return 0, errf("ValidationException", "1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", *v, limit)
	}
	return *v, nil
}

// encodeToken and decodeToken make opaque NextToken values bound to op.
func encodeToken(op, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(op + "\x00" + key))
}

func decodeToken(op string, tok *string) (key string, ok bool) {
	if tok == nil {
		return "", true
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil {
		return "", false
	}
	key, found := strings.CutPrefix(string(b), op+"\x00")
	return key, found
}

// sortedParams returns the parameters accepted by keep, sorted by name. s.mu
// held.
func (s *Server) sortedParams(keep func(*Parameter) bool) []*Parameter {
	var out []*Parameter
	for _, p := range s.params {
		if keep(p) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// pageAfter returns the items after the name in token, at most n, and the
// token of the next page ("" on the last page).
func pageAfter(op string, all []*Parameter, after string, hasToken bool, n int) ([]*Parameter, string) {
	start := 0
	if hasToken {
		start = sort.Search(len(all), func(i int) bool { return all[i].Name > after })
	}
	end := min(start+n, len(all))
	page := all[start:end]
	if end < len(all) {
		return page, encodeToken(op, page[len(page)-1].Name)
	}
	return page, ""
}

// ssmGetParametersByPath implements GetParametersByPath: results sorted by
// name, MaxResults 1..10 (default 10). ParameterFilters, which the library
// never sends, are not implemented.
func (s *Server) ssmGetParametersByPath(_ Request, body []byte) (any, *apiError) {
	var in struct {
		Path           *string
		Recursive      *bool
		WithDecryption *bool
		MaxResults     *int
		NextToken      *string
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if in.Path == nil || !validPath(*in.Path) {
		return nil, errf("ValidationException", "%s", pathNameMessage)
	}
	n, e := checkMaxResults(in.MaxResults, maxByPathResults)
	if e != nil {
		return nil, e
	}
	after, ok := decodeToken("GetParametersByPath", in.NextToken)
	if !ok {
		return nil, errf("InvalidNextToken", "The specified token isn't valid.")
	}
	rec := in.Recursive != nil && *in.Recursive
	all := s.sortedParams(func(p *Parameter) bool {
		return underPath(p.Name, *in.Path, rec)
	})
	page, next := pageAfter("GetParametersByPath", all, after, in.NextToken != nil, n)
	dec := in.WithDecryption != nil && *in.WithDecryption
	out := map[string]any{"Parameters": mapSlice(page, func(p *Parameter) ssmParamJSON { return s.paramOut(p, dec) })}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, 0, len(in))
	for _, v := range in {
		out = append(out, f(v))
	}
	return out
}

// matchNameFilters applies DescribeParameters' Name filters (already
// validated): every filter must match, any of its values.
func matchNameFilters(p *Parameter, filters []ssmParamFilter) bool {
	for _, f := range filters {
		ok := false
		for _, v := range f.Values {
			if f.Option != nil && *f.Option == "BeginsWith" {
				ok = ok || strings.HasPrefix(hierName(p.Name), hierName(v))
			} else {
				ok = ok || hierName(p.Name) == hierName(v)
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// ssmDescribeParameters implements DescribeParameters with what the library
// sends: ParameterFilters on Name, Equals (the default) or BeginsWith,
// sorted by name, MaxResults 1..50 (default 50). The deprecated Filters and
// the other keys and options, which the library never sends, answer
// InvalidFilterKey or InvalidFilterOption (moto, in the integration tests,
// implements them).
func (s *Server) ssmDescribeParameters(_ Request, body []byte) (any, *apiError) {
	var in struct {
		ParameterFilters []ssmParamFilter
		MaxResults       *int
		NextToken        *string
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	n, e := checkMaxResults(in.MaxResults, maxDescribeResult)
	if e != nil {
		return nil, e
	}
	for _, f := range in.ParameterFilters {
		if f.Key != "Name" {
			return nil, errf("InvalidFilterKey", "The fake implements the filter key Name only, not %s.", f.Key)
		}
		if f.Option != nil && *f.Option != "Equals" && *f.Option != "BeginsWith" {
			return nil, errf("InvalidFilterOption", "The fake implements the filter options Equals and BeginsWith only, not %s.", *f.Option)
		}
		if len(f.Values) == 0 {
			return nil, errf("InvalidFilterValue", "The following filter values are missing : null for filter key %s.", f.Key)
		}
	}
	after, ok := decodeToken("DescribeParameters", in.NextToken)
	if !ok {
		return nil, errf("InvalidNextToken", "The specified token isn't valid.")
	}
	all := s.sortedParams(func(p *Parameter) bool { return matchNameFilters(p, in.ParameterFilters) })
	page, next := pageAfter("DescribeParameters", all, after, in.NextToken != nil, n)
	out := map[string]any{"Parameters": mapSlice(page, s.paramMeta)}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

var paramNameChars = regexp.MustCompile(`^[a-zA-Z0-9_.\-/]+$`)

var kmsKeyIDPattern = regexp.MustCompile(`^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|mrk-[0-9a-fA-F]{32})$`)

func validKeyID(k string) bool {
	return strings.HasPrefix(k, "alias/") || strings.HasPrefix(k, "arn:") || kmsKeyIDPattern.MatchString(k)
}

// ssmPutParameter implements PutParameter as the library's Update sends
// it: an overwrite of an existing parameter. Omitted Type, Description,
// AllowedPattern, Tier and DataType keep their values, while an omitted
// KeyId of a SecureString reverts to alias/aws/ssm, as on AWS. The value
// size limit of the tier and AllowedPattern (matching the whole value,
// Java matches() semantics) apply. Creating a parameter, which the library
// never does, is refused: seed parameters with [Server.PutParameter].
func (s *Server) ssmPutParameter(_ Request, body []byte) (any, *apiError) {
	var in struct {
		Name           *string
		Value          *string
		Type           *string
		KeyId          *string //nolint:revive // AWS name
		Description    *string
		Overwrite      *bool
		Tier           *string
		DataType       *string
		AllowedPattern *string
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if in.Value == nil || *in.Value == "" {
		return nil, errf("ValidationException", "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	var old *Parameter
	if in.Name != nil {
		old = s.params[*in.Name]
	}
	switch {
	case old == nil:
		return nil, errf("ValidationException", "the fake creates parameters only by Server.PutParameter")
	case in.Overwrite == nil || !*in.Overwrite:
		return nil, errf("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
	}
	p := *old
	p.Value = *in.Value
	if in.Type != nil && *in.Type != "" {
		p.Type = *in.Type
	}
	if in.Description != nil {
		p.Description = *in.Description
	}
	if in.DataType != nil && *in.DataType != "" {
		p.DataType = *in.DataType
	}
	if in.Tier != nil && *in.Tier != "" {
		if *in.Tier == "Standard" && old.Tier == "Advanced" {
			return nil, errf("ValidationException", "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.")
		}
		p.Tier = *in.Tier
	}
	limit := maxStandardValue
	if p.Tier == "Advanced" {
		limit = maxAdvancedValue
	}
	if utf8.RuneCountInString(p.Value) > limit {
		if p.Tier == "Standard" {
			return nil, errf("ValidationException", "Standard tier parameters support a maximum parameter value of %d characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.", maxStandardValue)
		}
		return nil, errf("ValidationException", "Advanced tier parameters support a maximum parameter value of %d characters.", maxAdvancedValue)
	}
	if in.AllowedPattern != nil {
		p.AllowedPattern = *in.AllowedPattern
	}
	if p.AllowedPattern != "" {
		re, err := regexp.Compile(`^(?:` + p.AllowedPattern + `)$`)
		if err != nil || len(p.AllowedPattern) > 1024 {
			return nil, errf("InvalidAllowedPatternException", "The request does not meet the regular expression requirement.")
		}
		if !re.MatchString(p.Value) {
			return nil, errf("ParameterPatternMismatchException", "Parameter value, cannot be validated against allowedPattern: %s", p.AllowedPattern)
		}
	}
	p.KeyId = ""
	if p.Type == "SecureString" {
		p.KeyId = defaultSSMKey
		if in.KeyId != nil && *in.KeyId != "" {
			if !validKeyID(*in.KeyId) {
				return nil, errf("InvalidKeyId", "Invalid keyId %s", *in.KeyId)
			}
			p.KeyId = *in.KeyId
		}
	}
	p.Version = old.Version + 1
	p.LastModifiedDate = time.Now()
	s.setParam(&p)
	return map[string]any{"Version": p.Version, "Tier": p.Tier}, nil
}
