package aws

import (
	"context"
	"fmt"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
	"golang.org/x/sync/errgroup"

	"github.com/s1crets/s1crets"
	"github.com/s1crets/s1crets/driver"
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
// are those of *s1crets.Client (Get, GetByPath, GetMany, Update,
// PathExists, Close). It is safe for concurrent use.
type SecretsManager struct {
	*s1crets.Client
}

// NewSecretsManager returns a Secrets Manager provider. The options set the
// region, a role to assume, the cache, retry and timeout; without them the
// SDK's default configuration applies. Close it when done.
func NewSecretsManager(ctx context.Context, opts ...Option) (*SecretsManager, error) {
	c, err := s1crets.New(ctx, SecretsManagerName, func(ctx context.Context, cfg driver.Config) (driver.Store, error) {
		return openSecretsManager(ctx, cfg)
	}, opts...)
	if err != nil {
		return nil, err
	}
	return &SecretsManager{c}, nil
}

func openSecretsManager(ctx context.Context, c driver.Config) (*secretsManager, error) {
	s, err := parseSettings(c)
	if err != nil {
		return nil, err
	}
	cfg, release, err := loadConfig(ctx, s)
	if err != nil {
		return nil, err
	}
	client := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		if s.endpoint != "" {
			o.BaseEndpoint = &s.endpoint // see WithEndpoint
		}
	})
	return &secretsManager{client: client, creds: cfg.Credentials, identity: newIdentity(cfg, s.endpoint), release: release}, nil
}

// secretsManager is the driver.Store of Secrets Manager.
type secretsManager struct {
	client  smAPI
	creds   awssdk.CredentialsProvider
	release func() // closes the idle connections
	*identity
}

// Close releases the idle connections and their goroutines.
func (s *secretsManager) Close() error {
	s.release()
	return nil
}

// secretOf is a secret as GetSecretValue or BatchGetSecretValue answered
// it, with its metadata.
func secretOf(name, arn, versionID *string, stages []string, created *time.Time, bin []byte, str *string) driver.Secret {
	s := driver.Secret{Name: awssdk.ToString(name), Meta: &driver.Meta{
		ARN: awssdk.ToString(arn), Version: awssdk.ToString(versionID), Stages: stages, Created: awssdk.ToTime(created),
	}}
	if bin != nil {
		s.Binary = bin
	} else {
		s.Text = awssdk.ToString(str)
	}
	return s
}

func secretOfOutput(out *secretsmanager.GetSecretValueOutput) driver.Secret {
	return secretOf(out.Name, out.ARN, out.VersionId, out.VersionStages, out.CreatedDate, out.SecretBinary, out.SecretString)
}

func secretOfEntry(v *types.SecretValueEntry) driver.Secret {
	return secretOf(v.Name, v.ARN, v.VersionId, v.VersionStages, v.CreatedDate, v.SecretBinary, v.SecretString)
}

func (s *secretsManager) get(ctx context.Context, id string, q driver.Query) (*secretsmanager.GetSecretValueOutput, error) {
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

// Get reads one secret: its AWSCURRENT version, or the one that
// VersionStage or VersionID select.
func (s *secretsManager) Get(ctx context.Context, path string, q driver.Query) (driver.Secret, error) {
	out, err := s.get(ctx, path, q)
	if err != nil {
		return driver.Secret{}, err
	}
	return secretOfOutput(out), nil
}

// GetByPath reads every secret whose name starts with path (the name
// filter of the original), 20 a call with BatchGetSecretValue. When that
// call is denied, it lists the names and reads them one by one.
func (s *secretsManager) GetByPath(ctx context.Context, path string, q driver.Query) (map[string]driver.Secret, error) {
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

func (s *secretsManager) batchByFilter(ctx context.Context, path string, q driver.Query) (map[string]driver.Secret, error) {
	out := make(map[string]driver.Secret)
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
		for i := range page.SecretValues {
			v := &page.SecretValues[i]
			out[awssdk.ToString(v.Name)] = secretOfEntry(v)
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
func (s *secretsManager) oneByOne(ctx context.Context, path string, q driver.Query) (map[string]driver.Secret, error) {
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
	values := make([]driver.Secret, len(names))
	ok := make([]bool, len(names))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, name := range names {
		g.Go(func() error {
			out, err := s.get(gctx, name, driver.Query{})
			if err != nil {
				if q.FailOnError {
					return fmt.Errorf("secret %q: %w", name, err)
				}
				return nil
			}
			values[i], ok[i] = secretOfOutput(out), true
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	m := make(map[string]driver.Secret, len(names))
	for i, name := range names {
		if ok[i] {
			m[name] = values[i]
		}
	}
	return m, nil
}

// Update writes a new version of an existing secret, as text or as bytes
// like the current version.
func (s *secretsManager) Update(ctx context.Context, path, value string) (string, error) {
	cur, err := s.get(ctx, path, driver.Query{})
	if err != nil {
		return "", err
	}
	in := &secretsmanager.PutSecretValueInput{SecretId: &path}
	if cur.SecretBinary != nil {
		in.SecretBinary = []byte(value)
	} else {
		in.SecretString = &value
	}
	_, err = renewing(s.creds, func() (*secretsmanager.PutSecretValueOutput, error) { return s.client.PutSecretValue(ctx, in) })
	return awssdk.ToString(cur.Name), mapError(err)
}
