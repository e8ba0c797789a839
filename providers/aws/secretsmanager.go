package aws

import (
	"context"
	"fmt"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/s1crets/s1crets"
)

// smAPI is the part of the Secrets Manager client that SecretsManager uses.
type smAPI interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	BatchGetSecretValue(context.Context, *secretsmanager.BatchGetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.BatchGetSecretValueOutput, error)
	ListSecrets(context.Context, *secretsmanager.ListSecretsInput, ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error)
	PutSecretValue(context.Context, *secretsmanager.PutSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
}

var _ smAPI = (*secretsmanager.Client)(nil)

// batchSize is BatchGetSecretValue's limit of secrets per call.
const batchSize = 20

// SecretsManager reads and updates AWS Secrets Manager secrets. Its methods
// are those of s1crets.Provider (through the embedded s1crets.Cached): Get,
// GetByPath, Update, PathExists. It is safe for concurrent use.
type SecretsManager struct {
	*s1crets.Cached
	sm *secretsManager
}

// NewSecretsManager returns a Secrets Manager provider. The options set the
// region, a role to assume, the cache, retry and timeout; without them the
// SDK's default configuration applies.
func NewSecretsManager(ctx context.Context, opts ...Option) (*SecretsManager, error) {
	s, err := parseOptions(SecretsManagerName, opts)
	if err != nil {
		return nil, err
	}
	cfg, err := loadConfig(ctx, SecretsManagerName, s)
	if err != nil {
		return nil, err
	}
	sm := &secretsManager{client: secretsmanager.NewFromConfig(cfg), creds: cfg.Credentials, ns: namespace(cfg, s)}
	c, err := s1crets.NewCached(SecretsManagerName, sm, s.cache)
	if err != nil {
		return nil, err
	}
	return &SecretsManager{Cached: c, sm: sm}, nil
}

// secretsManager is the s1crets.Backend of Secrets Manager.
type secretsManager struct {
	client smAPI
	creds  awssdk.CredentialsProvider
	ns     string
}

// Namespace implements s1crets.Namespacer.
func (s *secretsManager) Namespace() string { return s.ns }

func secretValue(bin []byte, str *string) s1crets.Value {
	if bin != nil {
		return s1crets.NewBinaryValue(bin)
	}
	return s1crets.NewValue(awssdk.ToString(str))
}

func (s *secretsManager) get(ctx context.Context, id string, q s1crets.Query) (*secretsmanager.GetSecretValueOutput, error) {
	in := &secretsmanager.GetSecretValueInput{SecretId: &id}
	if q.VersionStage != "" {
		in.VersionStage = &q.VersionStage
	}
	if q.VersionID != "" {
		in.VersionId = &q.VersionID
	}
	out, err := renewing(s.creds, func() (*secretsmanager.GetSecretValueOutput, error) {
		return s.client.GetSecretValue(ctx, in)
	})
	if err != nil {
		return nil, mapError(err)
	}
	if out.SecretString == nil && out.SecretBinary == nil {
		return nil, errEmptyAnswer("GetSecretValue")
	}
	return out, nil
}

// Fetch reads one secret: its AWSCURRENT version, or the one that
// VersionStage or VersionID select.
func (s *secretsManager) Fetch(ctx context.Context, path string, q s1crets.Query) (s1crets.Value, error) {
	out, err := s.get(ctx, path, q)
	if err != nil {
		return s1crets.Value{}, err
	}
	return secretValue(out.SecretBinary, out.SecretString), nil
}

// FetchByPath reads every secret whose name starts with path (the name
// filter of the original), 20 a call with BatchGetSecretValue. When that
// call is denied, it lists the names and reads them one by one.
func (s *secretsManager) FetchByPath(ctx context.Context, path string, q s1crets.Query) (map[string]s1crets.Value, error) {
	out, err := s.batchByFilter(ctx, path, q)
	switch c := code(err); {
	case c == "AccessDeniedException":
		return s.oneByOne(ctx, path, q)
	case err != nil && !q.FailOnError && (c == "ResourceNotFoundException" || c == "InvalidRequestException"):
		// Some emulators fail the whole batch for one unreadable secret;
		// one by one, FailOnError(false) can skip just that one.
		return s.oneByOne(ctx, path, q)
	}
	return out, err
}

func nameFilter(path string) []types.Filter {
	return []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{path}}}
}

func (s *secretsManager) batchByFilter(ctx context.Context, path string, q s1crets.Query) (map[string]s1crets.Value, error) {
	out := make(map[string]s1crets.Value)
	in := &secretsmanager.BatchGetSecretValueInput{Filters: nameFilter(path), MaxResults: awssdk.Int32(batchSize)}
	pages := secretsmanager.NewBatchGetSecretValuePaginator(s.client, in)
	for pages.HasMorePages() {
		page, err := renewing(s.creds, func() (*secretsmanager.BatchGetSecretValueOutput, error) { return pages.NextPage(ctx) })
		if err != nil {
			return nil, mapError(err)
		}
		for _, e := range page.Errors {
			// A secret scheduled for deletion (InvalidRequestException) is
			// not one the original lists: skip it, as ListSecrets does.
			if q.FailOnError && awssdk.ToString(e.ErrorCode) != "InvalidRequestException" {
				return nil, batchError(e)
			}
		}
		for _, v := range page.SecretValues {
			out[awssdk.ToString(v.Name)] = secretValue(v.SecretBinary, v.SecretString)
		}
	}
	return out, nil
}

// batchError turns an entry of BatchGetSecretValue's Errors into an error
// that names the secret and keeps the AWS code.
func batchError(e types.APIErrorType) error {
	err := &smithy.GenericAPIError{Code: awssdk.ToString(e.ErrorCode), Message: awssdk.ToString(e.Message)}
	return fmt.Errorf("secret %q: %w", awssdk.ToString(e.SecretId), mapError(err))
}

// oneByOne lists the names with ListSecrets and reads each secret with
// GetSecretValue, a few at a time: the original's way, for callers that
// may not call BatchGetSecretValue.
func (s *secretsManager) oneByOne(ctx context.Context, path string, q s1crets.Query) (map[string]s1crets.Value, error) {
	var names []string
	in := &secretsmanager.ListSecretsInput{Filters: nameFilter(path), MaxResults: awssdk.Int32(100)}
	pages := secretsmanager.NewListSecretsPaginator(s.client, in)
	for pages.HasMorePages() {
		page, err := renewing(s.creds, func() (*secretsmanager.ListSecretsOutput, error) { return pages.NextPage(ctx) })
		if err != nil {
			return nil, mapError(err)
		}
		for _, e := range page.SecretList {
			names = append(names, awssdk.ToString(e.Name))
		}
	}
	values := make([]s1crets.Value, len(names))
	ok := make([]bool, len(names))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, name := range names {
		g.Go(func() error {
			out, err := s.get(gctx, name, s1crets.Query{})
			if err != nil {
				if q.FailOnError {
					return fmt.Errorf("secret %q: %w", name, err)
				}
				return nil
			}
			values[i], ok[i] = secretValue(out.SecretBinary, out.SecretString), true
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	m := make(map[string]s1crets.Value, len(names))
	for i, name := range names {
		if ok[i] {
			m[name] = values[i]
		}
	}
	return m, nil
}

// Store writes a new version of an existing secret, as text or as bytes
// like the current version.
func (s *secretsManager) Store(ctx context.Context, path, value string) error {
	cur, err := s.get(ctx, path, s1crets.Query{})
	if err != nil {
		return err
	}
	in := &secretsmanager.PutSecretValueInput{SecretId: &path}
	if cur.SecretBinary != nil {
		in.SecretBinary = []byte(value)
	} else {
		in.SecretString = &value
	}
	_, err = renewing(s.creds, func() (*secretsmanager.PutSecretValueOutput, error) { return s.client.PutSecretValue(ctx, in) })
	return mapError(err)
}
