package s3store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Config is what a policy's `state "s3"` block says about the client.
type Config struct {
	Bucket string
	Prefix string
	// Region of the bucket; "" takes the profile's or the environment's.
	Region string
	// EndpointURL points the client at an S3-compatible store (MinIO, an
	// emulator); requests then use path-style addressing
	// (http://HOST/BUCKET/KEY), which such stores expect.
	EndpointURL string
	// Profile is a named profile of the shared AWS configuration.
	Profile string
	// AssumeRole is an IAM role ARN: the store's requests are signed
	// with its credentials, got from STS AssumeRole (at EndpointURL when
	// set) with those of the default chain, as the aws provider does.
	AssumeRole string
}

// defaultRegion is used when nothing names a region: the SDK needs one to
// sign requests, and S3 redirects a wrong one to the bucket's.
const defaultRegion = "us-east-1"

// NewClient builds an S3 client from the SDK's default credential chain
// (environment, shared files with Profile, SSO, IMDS), as the aws
// provider does. No credential is ever put in an error.
func NewClient(ctx context.Context, cfg Config) (*s3.Client, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("state s3: empty bucket")
	}
	var opts []func(*config.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(cfg.Profile))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("state s3: loading the AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = defaultRegion
	}
	if cfg.AssumeRole != "" {
		stsClient := sts.NewFromConfig(awsCfg, func(o *sts.Options) {
			if cfg.EndpointURL != "" {
				o.BaseEndpoint = aws.String(cfg.EndpointURL)
			}
		})
		awsCfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, cfg.AssumeRole,
			func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "fbctl-state" }))
	}
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.EndpointURL != "" {
			o.BaseEndpoint = aws.String(cfg.EndpointURL)
			o.UsePathStyle = true
		}
	}), nil
}

// Open builds the client and the store.
func Open(ctx context.Context, cfg Config, opts Options) (*Store, error) {
	c, err := NewClient(ctx, cfg)
	if err != nil {
		return nil, err
	}
	opts.Client, opts.Bucket, opts.Prefix = c, cfg.Bucket, cfg.Prefix
	return New(opts)
}
