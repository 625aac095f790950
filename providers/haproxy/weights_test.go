package haproxy

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/fbctl/fbctl/providers"
)

var shapes = []struct{ p, s, m int }{
	{1, 1, 256}, {2, 1, 256}, {1, 2, 256}, {3, 5, 256}, {1, 1, 100}, {2, 3, 17}, {1, 1, 10}, {4, 1, 3}, {1, 1, 1}, {3, 1, 1},
}

func TestBestWeightsExamples(t *testing.T) {
	for _, c := range []struct {
		want    providers.Share
		p, s, m int
		a, b    int
	}{
		{0, 1, 1, 256, 0, 256},
		{10000, 1, 1, 256, 256, 0},
		{2500, 1, 1, 256, 64, 192},
		{5000, 1, 1, 256, 128, 128},
		{500, 1, 1, 256, 13, 247},
		{39, 1, 1, 256, 1, 255},
		{1, 1, 1, 256, 0, 256},
		{9999, 1, 1, 256, 256, 0},
		{5000, 2, 1, 256, 64, 128}, // two primary servers share the half
		{2500, 2, 1, 256, 32, 192},
		{0, 2, 1, 10, 0, 10}, // 0 % is always 0 : max_weight
		{500, 2, 1, 10, 0, 10},
		{2500, 1, 1, 1, 0, 1}, // half-way between 0 and 50 %: the lower one
		{7500, 1, 1, 1, 1, 1}, // half-way between 50 and 100 %: the lower one
	} {
		a, b := providers.SplitWeights(c.want, c.p, c.s, c.m)
		if a != c.a || b != c.b {
			t.Errorf("bestWeights(%v, p=%d, s=%d, max=%d) = %d:%d, want %d:%d", c.want, c.p, c.s, c.m, a, b, c.a, c.b)
		}
	}
}

// For every shape, every wanted share: never all zero, weights in range,
// within the resolution (in fact half of it, plus rounding), monotone, and
// no pair of weights would have come closer.
func TestBestWeightsProperties(t *testing.T) {
	for _, sh := range shapes {
		t.Run(fmt.Sprintf("p%d_s%d_max%d", sh.p, sh.s, sh.m), func(t *testing.T) {
			res := providers.SplitResolution(sh.p, sh.s, sh.m)
			step := providers.Share(1)
			if sh.m > 20 {
				step = 37 // a full sweep at max 256 takes seconds under -race
			}
			prev := providers.Share(-1)
			for want := providers.Share(0); want <= providers.ShareFull; want += step {
				a, b := providers.SplitWeights(want, sh.p, sh.s, sh.m)
				if a < 0 || b < 0 || a > sh.m || b > sh.m || a+b == 0 {
					t.Fatalf("want %v: weights %d:%d", want, a, b)
				}
				got := providers.RoundShare(int64(sh.p*a), int64(sh.p*a+sh.s*b))
				if d := got - want; d > res/2+1 || -d > res/2+1 {
					t.Errorf("want %v: delivered %v, resolution %v", want, got, res)
				}
				if got < prev {
					t.Errorf("want %v: delivered %v, less than for a smaller want (%v)", want, got, prev)
				}
				prev = got
			}
			// Nothing closer exists (compared exactly).
			for _, want := range []providers.Share{1, 333, 2500, 4999, 6667, 9990} {
				a, b := providers.SplitWeights(want, sh.p, sh.s, sh.m)
				for x := 0; x <= sh.m; x++ {
					for y := 0; y <= sh.m; y++ {
						if x+y > 0 && closer(want, sh.p*x, sh.p*x+sh.s*y, sh.p*a, sh.p*a+sh.s*b) {
							t.Fatalf("want %v: %d:%d is closer than the chosen %d:%d", want, x, y, a, b)
						}
					}
				}
			}
		})
	}
}

// closer reports whether part1/total1 is strictly closer to want than
// part2/total2.
func closer(want providers.Share, part1, total1, part2, total2 int) bool {
	e := func(part, total int) int64 {
		d := 10000*int64(part) - int64(want)*int64(total)
		if d < 0 {
			d = -d
		}
		return d
	}
	return e(part1, total1)*int64(total2) < e(part2, total2)*int64(total1)
}

func TestResolutionOfShapes(t *testing.T) {
	for _, c := range []struct {
		p, s, m int
		want    providers.Share
	}{
		{1, 1, 256, 39}, {2, 1, 256, 78}, {1, 2, 256, 78}, {1, 1, 10, 909}, {1, 1, 1, 5000}, {3, 1, 1, 7500},
	} {
		if got := providers.SplitResolution(c.p, c.s, c.m); got != c.want {
			t.Errorf("resolution(%d, %d, %d) = %v, want %v", c.p, c.s, c.m, got, c.want)
		}
	}
}

// Writing the planned changes one by one never leaves every named server at
// weight 0, and, between states fbctl writes, never gives the primary more
// than the larger of the old and new shares.
func TestPlanChangesNeverZeroNeverOvershoots(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	primary, secondary := []string{"p1", "p2", "p3"}, []string{"s1", "s2"}
	uniform := func(m int) weights {
		for {
			a, b := rng.IntN(m+1), rng.IntN(m+1)
			if a+b > 0 {
				return weights{primary: repeat(a, 3), secondary: repeat(b, 2)}
			}
		}
	}
	arbitrary := func(m int) weights {
		for {
			w := weights{primary: []int{rng.IntN(m + 1), rng.IntN(m + 1), rng.IntN(m + 1)}, secondary: []int{rng.IntN(m + 1), rng.IntN(m + 1)}}
			if _, total := w.sums(); total > 0 {
				return w
			}
		}
	}
	for i := 0; i < 20000; i++ {
		m := []int{1, 2, 3, 256}[i%4]
		next := uniform(m)
		cur := uniform(m)
		fbctlState := i%2 == 0
		if !fbctlState {
			cur = arbitrary(m)
		}
		top := max(ratio(cur), ratio(next))
		w := weights{primary: append([]int{}, cur.primary...), secondary: append([]int{}, cur.secondary...)}
		for _, c := range planChanges(primary, secondary, cur, next) {
			for j, s := range primary {
				if s == c.server {
					w.primary[j] = c.to
				}
			}
			for j, s := range secondary {
				if s == c.server {
					w.secondary[j] = c.to
				}
			}
			if _, total := w.sums(); total == 0 {
				t.Fatalf("%v -> %v: all weights 0 after setting %s to %d", cur, next, c.server, c.to)
			}
			if fbctlState && ratio(w) > top {
				t.Fatalf("%v -> %v: primary share %v after setting %s to %d, above both ends", cur, next, ratio(w), c.server, c.to)
			}
		}
		if fmt.Sprint(w) != fmt.Sprint(next) {
			t.Fatalf("%v -> %v: ended at %v", cur, next, w)
		}
	}
}

func ratio(w weights) float64 {
	p, total := w.sums()
	return float64(p) / float64(total)
}

func TestPlanChangesOrder(t *testing.T) {
	p, s := []string{"p1", "p2"}, []string{"s1"}
	got := planChanges(p, s,
		weights{primary: []int{0, 5}, secondary: []int{3}},
		weights{primary: []int{2, 2}, secondary: []int{9}})
	want := "[{s1 3 9} {p1 0 2} {p2 5 2}]"
	if fmt.Sprint(got) != want {
		t.Errorf("planChanges = %v, want %v (secondary up, primary up, primary down, secondary down)", got, want)
	}
	got = planChanges(p, s,
		weights{primary: []int{0, 0}, secondary: []int{256}},
		weights{primary: []int{128, 128}, secondary: []int{0}})
	if want := "[{p1 0 128} {p2 0 128} {s1 256 0}]"; fmt.Sprint(got) != want {
		t.Errorf("0 -> 100 %%: %v, want %v", got, want)
	}
	if got := planChanges(p, s, weights{primary: []int{1, 1}, secondary: []int{1}}, weights{primary: []int{1, 1}, secondary: []int{1}}); len(got) != 0 {
		t.Errorf("no change planned %v", got)
	}
}
