package providers

import (
	"fmt"
	"math"
	"strconv"
)

// Share is the part of a failback's traffic sent to the primary, in basis
// points: 0 is all on the secondary, 10000 is all on the primary.
type Share int

const (
	// ShareNone sends nothing to the primary.
	ShareNone Share = 0
	// ShareFull sends everything to the primary.
	ShareFull Share = 10000
)

// ShareFromPercent converts a percentage with at most two decimals into a
// Share. It fails for values outside [0, 100], NaN and infinities, and for
// values with more precision than a basis point.
func ShareFromPercent(p float64) (Share, error) {
	if math.IsNaN(p) || math.IsInf(p, 0) {
		return 0, fmt.Errorf("%v is not a percentage", p)
	}
	if p < 0 || p > 100 {
		return 0, fmt.Errorf("%s %% is outside 0-100", strconv.FormatFloat(p, 'f', -1, 64))
	}
	bp := math.Round(p * 100)
	// Accept only values that are a whole number of basis points; a small
	// tolerance absorbs the binary representation of decimals like 12.34.
	if math.Abs(bp-p*100) > 1e-6 {
		return 0, fmt.Errorf("%s %% has more than two decimals", strconv.FormatFloat(p, 'f', -1, 64))
	}
	return Share(bp), nil
}

// Percent returns the share as a percentage.
func (s Share) Percent() float64 { return float64(s) / 100 }

// String formats the share as a percentage with no trailing zeros, e.g.
// "12.5%".
func (s Share) String() string {
	return strconv.FormatFloat(s.Percent(), 'f', -1, 64) + "%"
}

// CheckShare refuses a share outside 0..10000: what a Target's Apply does
// first.
func CheckShare(want Share) error {
	if want < ShareNone || want > ShareFull {
		return fmt.Errorf("share %d basis points is outside 0-10000", int(want))
	}
	return nil
}
