package awsfake

import (
	"os"
	"path/filepath"
)

// IsolateEnv sets the process environment so that the AWS SDK can never
// reach real AWS, whatever the developer's environment holds: no instance
// metadata, empty shared config and credentials files, dummy static keys,
// region us-east-1, and no profile, endpoint, session token or web
// identity. Call it from TestMain before m.Run; call the returned function
// after it to remove the temporary files.
func IsolateEnv() (cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "s1crets-awsfake-env")
	if err != nil {
		return nil, err
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	for k, v := range map[string]string{
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             empty,
		"AWS_SHARED_CREDENTIALS_FILE": empty,
		"AWS_ACCESS_KEY_ID":           "AKIDTEST",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_REGION":                  DefaultRegion,
	} {
		os.Setenv(k, v)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL_SECRETS_MANAGER",
		"AWS_ENDPOINT_URL_STS", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		os.Unsetenv(k)
	}
	return func() { os.RemoveAll(dir) }, nil
}
