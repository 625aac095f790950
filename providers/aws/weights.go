package aws

import "github.com/fbctl/fbctl/providers"

// Weight ranges of the two APIs.
const (
	route53MaxWeight = 255 // Route 53 weighted records: 0-255
	albMaxWeight     = 999 // ELBv2 forward action target groups: 0-999
)

// shareOf returns the share of weights summing to primary on the primary
// side and total over both sides (total > 0).
func shareOf(primary, total int64) providers.Share {
	return providers.RoundShare(primary, total)
}
