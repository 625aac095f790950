package app

import (
	"context"
	"fmt"
	"path"
	"path/filepath"

	"github.com/fbctl/fbctl/internal/state"
	"github.com/fbctl/fbctl/internal/state/gcsstore"
	"github.com/fbctl/fbctl/internal/state/s3store"
	"github.com/fbctl/fbctl/policy"
)

// openStore opens the policy's state store: the file store unless a
// `state "s3"` or `state "gcs"` block names a bucket. An unknown type is an error, never a
// silent fallback to the file store: two hosts would each keep their own
// state.
func (g *Global) openStore(st *policy.State) (state.Store, error) {
	switch st.Type {
	case "", "file":
		return state.OpenFile(st.Path, state.FileOptions{Now: g.now})
	case "s3":
		if st.S3 == nil {
			return nil, fmt.Errorf("state s3: no bucket")
		}
		// The SDK reads its configuration files and environment here; no
		// request is made until the first Load or Lock.
		return s3store.Open(context.Background(), s3store.Config{
			Bucket: st.S3.Bucket, Prefix: st.S3.Prefix, Region: st.S3.Region,
			EndpointURL: st.S3.EndpointURL, Profile: st.S3.Profile, AssumeRole: st.S3.AssumeRole,
		}, s3store.Options{Now: g.now})
	case "gcs":
		if st.GCS == nil {
			return nil, fmt.Errorf("state gcs: no bucket")
		}
		// The credentials file (or ADC) is read here; no request is made
		// until the first Load or Lock.
		return gcsstore.Open(context.Background(), gcsstore.Config{
			Bucket: st.GCS.Bucket, Prefix: st.GCS.Prefix, EndpointURL: st.GCS.EndpointURL,
			CredentialsFile: st.GCS.CredentialsFile, ImpersonateServiceAccount: st.GCS.ImpersonateServiceAccount,
		}, gcsstore.Options{Now: g.now})
	}
	return nil, fmt.Errorf("unknown state store %q", st.Type)
}

// LeaseArea is where, beside the failbacks' state, the leases of `fbctl
// run` replicas are kept: a directory of the file store, a key prefix of
// a bucket. It is no failback's name (names begin with a letter or digit),
// so listings of the store skip it.
const LeaseArea = ".leases"

// openLeaseStore opens the store of the replicas' leases: a store of the
// same kind as the state's, in its LeaseArea. A lease is a lock there, on
// the failback's name: exclusive, renewed, taken over at its expiry, its
// changes recorded in its own history.
func (g *Global) openLeaseStore(st *policy.State) (state.Store, error) {
	sub := *st
	switch st.Type {
	case "", "file":
		sub.Path = filepath.Join(st.Path, LeaseArea)
	case "s3":
		if st.S3 != nil {
			s3 := *st.S3
			s3.Prefix = path.Join(s3.Prefix, LeaseArea)
			sub.S3 = &s3
		}
	case "gcs":
		if st.GCS != nil {
			gcs := *st.GCS
			gcs.Prefix = path.Join(gcs.Prefix, LeaseArea)
			sub.GCS = &gcs
		}
	}
	return g.openStore(&sub)
}

// stateLocation says where the state is, for logs: a directory or
// s3://BUCKET/PREFIX or gs://BUCKET/PREFIX. It holds no credential.
func stateLocation(st *policy.State) string {
	if st.Type == "s3" && st.S3 != nil {
		return "s3://" + st.S3.Bucket + "/" + st.S3.Prefix
	}
	if st.Type == "gcs" && st.GCS != nil {
		return "gs://" + st.GCS.Bucket + "/" + st.GCS.Prefix
	}
	return st.Path
}
