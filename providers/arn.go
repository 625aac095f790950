package providers

import "regexp"

// roleARN is the shape of an IAM role ARN: the partition (aws, aws-cn,
// aws-us-gov, ...), a 12-digit account, and a role name with its path.
var roleARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$`)

// IsRoleARN reports whether s is an IAM role ARN
// (arn:aws:iam::ACCOUNT:role/NAME): the one rule for every assume_role,
// the aws provider's and the S3 state store's.
func IsRoleARN(s string) bool { return roleARN.MatchString(s) }
