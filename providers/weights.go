package providers

import "sync"

// Weight-based targets (HAProxy server weights, Route 53 record weights,
// ALB target group weights) give every member of a side the same weight;
// these helpers pick that pair of weights and say what shares it can
// express. One implementation, so every such target rounds alike.

// RoundShare is 10000*part/total rounded half up, in integers.
func RoundShare(part, total int64) Share {
	return Share((20000*part + total) / (2 * total))
}

// SplitWeights returns the weight a of each of p primary members and b of
// each of s secondary members, 0 <= a, b <= m and not both 0, whose share
// p*a/(p*a+s*b) is closest to want. When want lies half-way between two
// shares the lower one wins: less to the primary is the cautious side. Many
// pairs deliver the same share (1:3, 64:192, 85:255); ties go to the pair
// nearest to (m*d, m*(1-d)) for the delivered share d, the weights a
// person expects (0:m at 0 %, m:0 at 100 %, 64:192 at 25 % with one member
// a side), then to the larger weights.
//
// For a fixed b > 0 the share grows strictly with a, so the closest a is
// the floor or the ceiling of the exact solution; for b = 0 every a > 0
// delivers 100 % and a = m is the expected one. Checking those candidates
// (2m+3 of them) finds the same pair as checking all (m+1)^2 pairs, which
// the tests confirm.
func SplitWeights(want Share, p, s, m int) (a, b int) {
	w, P, S, M := int64(want), int64(p), int64(s), int64(m)
	bestErr, bestPX, bestDist, bestT, bestSum := int64(-1), int64(0), int64(0), int64(1), int64(0)
	consider := func(x, y int64) {
		if x < 0 || y < 0 || x > M || y > M || (x == 0 && y == 0) {
			return
		}
		// With T = P*x + S*y the error is |10000*P*x - w*T|/T and the
		// distance to the expected weights (|x*T - m*P*x| + |y*T -
		// m*S*y|)/T; both are compared by cross-multiplying.
		t := P*x + S*y
		e := abs64(10000*P*x - w*t)
		dist := abs64(x*t-M*P*x) + abs64(y*t-M*S*y)
		switch {
		case bestErr < 0, e*bestT < bestErr*t:
		case e*bestT > bestErr*t:
			return
		case P*x*bestT < bestPX*t:
		case P*x*bestT > bestPX*t:
			return
		case dist*bestT < bestDist*t:
		case dist*bestT > bestDist*t:
			return
		case x+y <= bestSum:
			return
		}
		bestErr, bestPX, bestDist, bestT, bestSum = e, P*x, dist, t, x+y
		a, b = int(x), int(y)
	}
	consider(M, 0)
	for y := int64(1); y <= M; y++ {
		// Exact solution of P*x/(P*x+S*y) = w/10000: x = w*S*y/(P*(10000-w)).
		num, den := w*S*y, P*(10000-w)
		if den == 0 {
			consider(M, y)
			continue
		}
		x := num / den
		if x > M {
			x = M
		}
		consider(x, y)
		consider(x+1, y)
	}
	return a, b
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// SplitResolution is the widest gap between neighbouring shares (in basis
// points) that weights 0..m on p primary and s secondary members can
// express, every member of a side weighted alike. It is computed once per
// (p, s, m).
func SplitResolution(p, s, m int) Share {
	key := [3]int{p, s, m}
	if v, ok := resolutions.Load(key); ok {
		return v.(Share)
	}
	var can [int(ShareFull) + 1]bool
	P, S := int64(p), int64(s)
	for a := int64(0); a <= int64(m); a++ {
		for b := int64(0); b <= int64(m); b++ {
			if a == 0 && b == 0 {
				continue
			}
			can[RoundShare(P*a, P*a+S*b)] = true
		}
	}
	gap, last := 0, 0
	for x := 1; x <= int(ShareFull); x++ {
		if can[x] {
			gap = max(gap, x-last)
			last = x
		}
	}
	res := Share(max(gap, 1))
	resolutions.Store(key, res)
	return res
}

var resolutions sync.Map // [3]int -> Share
