package providers

import (
	"testing"
)

// bruteWeights checks every pair, with the same order as SplitWeights.
func bruteWeights(want Share, p, s, m int) (a, b int) {
	w, P, S, M := int64(want), int64(p), int64(s), int64(m)
	bestErr, bestPX, bestDist, bestT, bestSum := int64(-1), int64(0), int64(0), int64(1), int64(0)
	for x := int64(0); x <= M; x++ {
		for y := int64(0); y <= M; y++ {
			if x == 0 && y == 0 {
				continue
			}
			t := P*x + S*y
			e := abs64(10000*P*x - w*t)
			dist := abs64(x*t-M*P*x) + abs64(y*t-M*S*y)
			switch {
			case bestErr < 0, e*bestT < bestErr*t:
			case e*bestT > bestErr*t:
				continue
			case P*x*bestT < bestPX*t:
			case P*x*bestT > bestPX*t:
				continue
			case dist*bestT < bestDist*t:
			case dist*bestT > bestDist*t:
				continue
			case x+y <= bestSum:
				continue
			}
			bestErr, bestPX, bestDist, bestT, bestSum = e, P*x, dist, t, x+y
			a, b = int(x), int(y)
		}
	}
	return a, b
}

func TestBestWeightsMatchesBruteForce(t *testing.T) {
	for _, c := range []struct{ p, s, m int }{{1, 1, 7}, {1, 1, 30}, {2, 1, 13}, {1, 3, 20}, {3, 2, 11}, {1, 1, 255}, {2, 3, 64}} {
		step := 1
		if c.m > 100 {
			step = 37
		}
		for w := 0; w <= 10000; w += step {
			a, b := SplitWeights(Share(w), c.p, c.s, c.m)
			ba, bb := bruteWeights(Share(w), c.p, c.s, c.m)
			if a != ba || b != bb {
				t.Fatalf("p=%d s=%d m=%d want=%d: bestWeights = %d:%d, brute force %d:%d", c.p, c.s, c.m, w, a, b, ba, bb)
			}
		}
	}
}

func TestBestWeights(t *testing.T) {
	for _, c := range []struct {
		want       Share
		p, s, m    int
		a, b       int
		delivering Share
	}{
		{0, 1, 1, 255, 0, 255, 0},
		{10000, 1, 1, 255, 255, 0, 10000},
		{2500, 1, 1, 255, 64, 192, 2500},
		{5000, 1, 1, 255, 128, 128, 5000},
		{39, 1, 1, 255, 1, 255, 39},
		{19, 1, 1, 255, 0, 255, 0},  // half-way below the first step: the lower share
		{20, 1, 1, 255, 1, 255, 39}, // nearer to 0.39 %
		{5000, 1, 1, 999, 500, 500, 5000},
		{10, 1, 1, 999, 1, 999, 10},
		{9990, 1, 1, 999, 999, 1, 9990},
		{7000, 2, 2, 255, 182, 78, 7000},
		{3333, 1, 1, 255, 85, 170, 3333},
	} {
		a, b := SplitWeights(c.want, c.p, c.s, c.m)
		got := RoundShare(int64(c.p*a), int64(c.p*a+c.s*b))
		if a != c.a || b != c.b || got != c.delivering {
			t.Errorf("SplitWeights(%v, %d, %d, %d) = %d:%d (%v), want %d:%d (%v)", c.want, c.p, c.s, c.m, a, b, got, c.a, c.b, c.delivering)
		}
	}
}

func TestResolution(t *testing.T) {
	for _, c := range []struct {
		p, s, m int
		want    Share
	}{
		{1, 1, 255, 39}, // 1:255 is 0.39 %
		{1, 1, 999, 10}, // 1:999 is 0.1 %
		{2, 1, 255, 78}, // 2:255 -> 0.78 % at the bottom
		{1, 2, 255, 78}, // 255:2 -> 99.22 % at the top
	} {
		if got := SplitResolution(c.p, c.s, c.m); got != c.want {
			t.Errorf("SplitResolution(%d, %d, %d) = %v, want %v", c.p, c.s, c.m, got, c.want)
		}
		if again := SplitResolution(c.p, c.s, c.m); again != c.want {
			t.Errorf("cached resolution differs")
		}
	}
	// Every share lands within the resolution, and larger wants never
	// deliver less.
	for _, c := range []struct{ p, s, m int }{{1, 1, 255}, {2, 3, 255}, {1, 1, 999}} {
		res := SplitResolution(c.p, c.s, c.m)
		prev := Share(-1)
		for w := Share(0); w <= ShareFull; w += 7 {
			a, b := SplitWeights(w, c.p, c.s, c.m)
			got := RoundShare(int64(c.p*a), int64(c.p*a+c.s*b))
			if d := got - w; d > res || -d > res {
				t.Fatalf("%v: want %v got %v, resolution %v", c, w, got, res)
			}
			if got < prev {
				t.Fatalf("%v: want %v delivered %v < %v", c, w, got, prev)
			}
			prev = got
		}
	}
}
