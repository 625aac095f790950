package libdns

import (
	"sync"

	"github.com/fbctl/fbctl/providers"
)

// Composition is an RRset made of the first K primary and the first M
// secondary addresses of a policy.
type Composition struct {
	K, M int
}

// Share is the composition's share of the traffic (resolvers pick an
// address of the RRset about uniformly), rounded to a basis point.
func (c Composition) Share() providers.Share {
	if c.K+c.M == 0 {
		return providers.ShareNone
	}
	return providers.RoundShare(int64(c.K), int64(c.K+c.M))
}

// Compose returns the composition of p primary and s secondary addresses
// (0 <= K <= p, 0 <= M <= s, K+M >= 1) whose exact share K/(K+M) is
// closest to want. Ties go first to the lower share (less on the primary
// is the cautious side of a failback), then to more addresses (the load
// spreads over more of them): 0 % is every secondary address, 100 % every
// primary one, and 50 % of 4+4 is all eight rather than 1+1.
//
// With p or s zero (or negative) the one side present is used whole; with
// both zero the result is the empty composition.
func Compose(want providers.Share, p, s int) Composition {
	p, s = max(p, 0), max(s, 0)
	best, found := Composition{}, false
	var bestErr, bestT int64 // error of best = bestErr/bestT, in basis points
	w := int64(want)
	for k := 0; k <= p; k++ {
		for m := 0; m <= s; m++ {
			if k+m == 0 {
				continue
			}
			K, T := int64(k), int64(k+m)
			e := 10000*K - w*T
			if e < 0 {
				e = -e
			}
			if found {
				// Compare e/T with bestErr/bestT, then K/T with
				// best.K/bestT, then T with bestT, by cross-multiplying.
				switch lhs, rhs := e*bestT, bestErr*T; {
				case lhs > rhs:
					continue
				case lhs == rhs:
					switch a, b := K*bestT, int64(best.K)*T; {
					case a > b:
						continue
					case a == b && T <= bestT:
						continue
					}
				}
			}
			best, found, bestErr, bestT = Composition{K: k, M: m}, true, e, T
		}
	}
	return best
}

// Resolution is the widest gap between neighbouring shares that
// compositions of p primary and s secondary addresses deliver: Apply lands
// within it (in fact within half of it) of any wanted share.
func Resolution(p, s int) providers.Share {
	if p < 1 || s < 1 {
		return providers.ShareFull
	}
	key := [2]int{p, s}
	if v, ok := resolutions.Load(key); ok {
		return v.(providers.Share)
	}
	var can [int(providers.ShareFull) + 1]bool
	for k := 0; k <= p; k++ {
		for m := 0; m <= s; m++ {
			if k+m > 0 {
				can[Composition{K: k, M: m}.Share()] = true
			}
		}
	}
	gap, last := 0, 0
	for x := 1; x <= int(providers.ShareFull); x++ {
		if can[x] {
			gap = max(gap, x-last)
			last = x
		}
	}
	res := providers.Share(max(gap, 1))
	resolutions.Store(key, res)
	return res
}

var resolutions sync.Map // [2]int -> providers.Share
