package aws

import (
	"context"
	"errors"
	"strconv"
	"strings"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/driver"
)

// ssmAPI is the part of the SSM client that ParameterStore uses.
type ssmAPI interface {
	GetParameter(context.Context, *ssm.GetParameterInput, ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
	GetParametersByPath(context.Context, *ssm.GetParametersByPathInput, ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error)
	DescribeParameters(context.Context, *ssm.DescribeParametersInput, ...func(*ssm.Options)) (*ssm.DescribeParametersOutput, error)
	PutParameter(context.Context, *ssm.PutParameterInput, ...func(*ssm.Options)) (*ssm.PutParameterOutput, error)
	GetParameters(context.Context, *ssm.GetParametersInput, ...func(*ssm.Options)) (*ssm.GetParametersOutput, error)
}

var _ ssmAPI = (*ssm.Client)(nil)

// ReferencePrefix is the Parameter Store path under which Secrets Manager
// secrets can be read: Get of ReferencePrefix+"NAME/k1/k2" reads the secret
// NAME (the longest name that exists) and looks up k1, k2 in its JSON.
const ReferencePrefix = "/aws/reference/secretsmanager/"

// ParameterStore reads and updates AWS Systems Manager Parameter Store
// parameters. Its methods are those of *s1crets.Client (Get, GetByPath,
// GetMany, Update, PathExists, Close). It is safe for concurrent use.
type ParameterStore struct {
	*s1crets.Client
}

// NewParameterStore returns a Parameter Store provider. The options set
// the region, a role to assume, the cache, retry and timeout; without them
// the SDK's default configuration applies. Close it when done.
func NewParameterStore(ctx context.Context, opts ...Option) (*ParameterStore, error) {
	c, err := s1crets.New(ctx, ParameterStoreName, func(ctx context.Context, cfg driver.Config) (driver.Store, error) {
		return openParameterStore(ctx, cfg)
	}, opts...)
	if err != nil {
		return nil, err
	}
	return &ParameterStore{c}, nil
}

func openParameterStore(ctx context.Context, c driver.Config) (*parameterStore, error) {
	s, err := parseSettings(c)
	if err != nil {
		return nil, err
	}
	cfg, release, err := loadConfig(ctx, s)
	if err != nil {
		return nil, err
	}
	client := ssm.NewFromConfig(cfg, func(o *ssm.Options) {
		if s.endpoint != "" {
			o.BaseEndpoint = &s.endpoint // see WithEndpoint
		}
	})
	return &parameterStore{client: client, creds: cfg.Credentials, identity: newIdentity(cfg, s.endpoint), release: release}, nil
}

// parameterStore is the driver.Store of Parameter Store.
type parameterStore struct {
	client  ssmAPI
	creds   awssdk.CredentialsProvider
	release func() // closes the idle connections
	*identity
}

// Close releases the idle connections and their goroutines.
func (p *parameterStore) Close() error {
	p.release()
	return nil
}

func (p *parameterStore) getParameter(ctx context.Context, name string, decrypt bool) (*types.Parameter, error) {
	out, err := renewing(p.creds, func() (*ssm.GetParameterOutput, error) {
		return p.client.GetParameter(ctx, &ssm.GetParameterInput{Name: &name, WithDecryption: &decrypt})
	})
	if err != nil {
		return nil, mapError(err)
	}
	if out.Parameter == nil {
		return nil, errEmptyAnswer("GetParameter")
	}
	return out.Parameter, nil
}

// Get reads one parameter, or walks a Secrets Manager reference.
func (p *parameterStore) Get(ctx context.Context, path string, q driver.Query) (driver.Secret, error) {
	if strings.HasPrefix(path, ReferencePrefix) {
		return p.reference(ctx, path, q)
	}
	param, err := p.getParameter(ctx, path, q.Decrypt)
	if err != nil {
		return driver.Secret{}, err
	}
	return parameterSecret(param), nil
}

// parameterSecret is a parameter as GetParameter, GetParameters or
// GetParametersByPath answered it, with its metadata.
func parameterSecret(param *types.Parameter) driver.Secret {
	name := awssdk.ToString(param.Name)
	return driver.Secret{Name: name, Text: awssdk.ToString(param.Value), Meta: &driver.Meta{
		Name:         name,
		ARN:          awssdk.ToString(param.ARN),
		Version:      strconv.FormatInt(param.Version, 10),
		Created:      awssdk.ToTime(param.LastModifiedDate),
		Type:         string(param.Type),
		DataType:     awssdk.ToString(param.DataType),
		Selector:     awssdk.ToString(param.Selector),
		SourceResult: awssdk.ToString(param.SourceResult),
	}}
}

// reference reads ReferencePrefix+"NAME/k1/k2": it tries the whole path,
// then each shorter prefix ending before a "/", as the original does, and
// looks up the rest of the path as keys of the secret's JSON. Keys left
// over on a secret that is not JSON are ErrNotFound (the original ignored
// them).
func (p *parameterStore) reference(ctx context.Context, path string, q driver.Query) (driver.Secret, error) {
	for name := path; len(name) > len(ReferencePrefix); {
		param, err := p.getParameter(ctx, name, q.Decrypt)
		if err == nil {
			rest := strings.TrimPrefix(path[len(name):], "/")
			if rest == "" { // the secret itself, with what GetParameter said of it
				sec := parameterSecret(param)
				// Named as asked, as AWS names it (moto answers the
				// secret's own name).
				sec.Name, sec.Meta.Name = path, path
				return sec, nil
			}
			v, err := s1crets.NewValue(awssdk.ToString(param.Value)).Lookup(strings.Split(rest, "/")...)
			if err != nil {
				return driver.Secret{}, err
			}
			return driver.Secret{Name: path, Text: v.Text()}, nil // a value inside a JSON secret is text
		}
		if !isNotFound(err) {
			return driver.Secret{}, err
		}
		name = name[:strings.LastIndexByte(name, '/')]
	}
	return driver.Secret{}, driver.ErrNotFound
}

// GetByPath reads every parameter below path, all pages.
func (p *parameterStore) GetByPath(ctx context.Context, path string, q driver.Query) (map[string]driver.Secret, error) {
	out := make(map[string]driver.Secret)
	in := &ssm.GetParametersByPathInput{
		Path: &path, Recursive: &q.Recursive, WithDecryption: &q.Decrypt, MaxResults: awssdk.Int32(10),
	}
	pages := ssm.NewGetParametersByPathPaginator(p.client, in)
	for pages.HasMorePages() {
		page, err := renewing(p.creds, func() (*ssm.GetParametersByPathOutput, error) { return pages.NextPage(ctx) })
		if err != nil {
			return nil, mapError(err)
		}
		for i := range page.Parameters {
			param := &page.Parameters[i]
			out[awssdk.ToString(param.Name)] = parameterSecret(param)
		}
	}
	return out, nil
}

// describe returns the metadata of the parameter named exactly name.
func (p *parameterStore) describe(ctx context.Context, name string) (*types.ParameterMetadata, error) {
	in := &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{
		{Key: awssdk.String("Name"), Option: awssdk.String("Equals"), Values: []string{name}},
	}}
	pages := ssm.NewDescribeParametersPaginator(p.client, in)
	for pages.HasMorePages() {
		page, err := renewing(p.creds, func() (*ssm.DescribeParametersOutput, error) { return pages.NextPage(ctx) })
		if err != nil {
			return nil, mapError(err)
		}
		for i := range page.Parameters {
			if awssdk.ToString(page.Parameters[i].Name) == name {
				return &page.Parameters[i], nil
			}
		}
	}
	return nil, driver.ErrNotFound
}

// Update overwrites an existing parameter, keeping its type, KMS key,
// description, tier, data type and allowed pattern.
func (p *parameterStore) Update(ctx context.Context, path, value string) (string, error) {
	meta, err := p.describe(ctx, path)
	if err != nil {
		return "", err
	}
	in := &ssm.PutParameterInput{
		Name:           &path,
		Value:          &value,
		Overwrite:      awssdk.Bool(true),
		Type:           meta.Type,
		Description:    meta.Description,
		Tier:           meta.Tier,
		AllowedPattern: meta.AllowedPattern,
		DataType:       meta.DataType,
	}
	if meta.Type == types.ParameterTypeSecureString {
		in.KeyId = meta.KeyId
	}
	_, err = renewing(p.creds, func() (*ssm.PutParameterOutput, error) { return p.client.PutParameter(ctx, in) })
	return path, mapError(err)
}

// PathExists reports whether a parameter is named path, or has a name
// below path at a "/" boundary: "/a/b" exists for "/a/b/c", not for
// "/a/bc". A ReferencePrefix path exists when its secret (and the keys after
// the secret's name) do.
func (p *parameterStore) PathExists(ctx context.Context, path string) (bool, error) {
	if strings.HasPrefix(path, ReferencePrefix) {
		// Not listed by DescribeParameters: ask through the walk.
		_, err := p.reference(ctx, path, driver.DefaultQuery())
		if isNotFound(err) {
			return false, nil
		}
		return err == nil, err
	}
	dir := strings.TrimSuffix(path, "/") + "/"
	in := &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{
		{Key: awssdk.String("Name"), Option: awssdk.String("BeginsWith"), Values: []string{strings.TrimSuffix(path, "/")}},
	}}
	if path == "/" {
		in.ParameterFilters = nil
	}
	pages := ssm.NewDescribeParametersPaginator(p.client, in)
	for pages.HasMorePages() {
		page, err := renewing(p.creds, func() (*ssm.DescribeParametersOutput, error) { return pages.NextPage(ctx) })
		if err != nil {
			return false, mapError(err)
		}
		for _, m := range page.Parameters {
			name := awssdk.ToString(m.Name)
			if name == path || strings.HasPrefix(name, dir) || (path == "/" && name != "") {
				return true, nil
			}
		}
	}
	return false, nil
}

func isNotFound(err error) bool { return err != nil && errors.Is(err, driver.ErrNotFound) }
