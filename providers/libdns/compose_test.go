package libdns_test

import (
	"fmt"
	"testing"

	"github.com/fbctl/fbctl/providers"
	"github.com/fbctl/fbctl/providers/libdns"
)

func TestCompose(t *testing.T) {
	type want struct {
		k, m      int
		delivered providers.Share
	}
	for _, tc := range []struct {
		p, s  int
		res   providers.Share
		cases map[providers.Share]want
	}{
		{p: 1, s: 1, res: 5000, cases: map[providers.Share]want{
			0:     {0, 1, 0},
			500:   {0, 1, 0},
			1000:  {0, 1, 0},
			2499:  {0, 1, 0},
			2500:  {0, 1, 0}, // half-way between 0 and 50 %: the lower share
			2501:  {1, 1, 5000},
			5000:  {1, 1, 5000},
			7500:  {1, 1, 5000}, // half-way: the lower share
			7501:  {1, 0, 10000},
			10000: {1, 0, 10000},
		}},
		{p: 4, s: 4, res: 2000, cases: map[providers.Share]want{
			0:     {0, 4, 0},
			500:   {0, 4, 0},
			1000:  {0, 4, 0}, // half-way between 0 and 20 %: the lower share
			1001:  {1, 4, 2000},
			2500:  {1, 3, 2500},
			3333:  {2, 4, 3333}, // 1+2 delivers the same; more addresses win
			5000:  {4, 4, 5000},
			7500:  {3, 1, 7500},
			9000:  {4, 1, 8000}, // half-way between 80 and 100 %
			9001:  {4, 0, 10000},
			10000: {4, 0, 10000},
		}},
		{p: 2, s: 3, res: 3333, cases: map[providers.Share]want{
			0:     {0, 3, 0},
			500:   {0, 3, 0},
			1000:  {0, 3, 0},
			2500:  {1, 3, 2500},
			4000:  {2, 3, 4000},
			5000:  {2, 2, 5000},
			7500:  {2, 1, 6667},
			10000: {2, 0, 10000},
		}},
	} {
		t.Run(fmt.Sprintf("%d+%d", tc.p, tc.s), func(t *testing.T) {
			if got := libdns.Resolution(tc.p, tc.s); got != tc.res {
				t.Errorf("Resolution = %v, want %v", got, tc.res)
			}
			for share, w := range tc.cases {
				c := libdns.Compose(share, tc.p, tc.s)
				if c.K != w.k || c.M != w.m || c.Share() != w.delivered {
					t.Errorf("Compose(%v) = %d+%d delivering %v, want %d+%d delivering %v", share, c.K, c.M, c.Share(), w.k, w.m, w.delivered)
				}
			}
		})
	}
}

// The rule checked against its definition for every small case: closest
// exact share, then the lower share, then more addresses; and a larger want
// never delivers less. Every composition is also a fixed point: composing
// its own (rounded) share gives it back, which is what makes an Apply of an
// observed share change nothing.
func TestComposeProperties(t *testing.T) {
	for p := 1; p <= 7; p++ {
		for s := 1; s <= 7; s++ {
			prev := providers.Share(-1)
			for w := providers.Share(0); w <= providers.ShareFull; w += 7 {
				c := libdns.Compose(w, p, s)
				if c.K < 0 || c.K > p || c.M < 0 || c.M > s || c.K+c.M == 0 {
					t.Fatalf("%d+%d: Compose(%v) = %+v out of range", p, s, w, c)
				}
				// Error of c, times 10000*(K+M), against every other.
				errOf := func(k, m int) float64 {
					d := float64(k)/float64(k+m)*10000 - float64(w)
					if d < 0 {
						d = -d
					}
					return d
				}
				for k := 0; k <= p; k++ {
					for m := 0; m <= s; m++ {
						if k+m == 0 {
							continue
						}
						if errOf(k, m) < errOf(c.K, c.M)-1e-9 {
							t.Fatalf("%d+%d: Compose(%v) = %d+%d, but %d+%d is closer", p, s, w, c.K, c.M, k, m)
						}
					}
				}
				if got := c.Share(); got < prev {
					t.Fatalf("%d+%d: Compose(%v) delivers %v, less than a smaller want", p, s, w, got)
				}
				prev = c.Share()
				if again := libdns.Compose(c.Share(), p, s); again != c {
					t.Fatalf("%d+%d: Compose(%v) = %+v, but Compose of its share %v = %+v", p, s, w, c, c.Share(), again)
				}
			}
		}
	}
}

// The largest sides the kind accepts still map every composition's share
// back to it.
func TestComposeFixedPointAtLimit(t *testing.T) {
	for _, n := range [][2]int{{50, 50}, {50, 1}, {1, 50}, {50, 49}} {
		for k := 0; k <= n[0]; k++ {
			for m := 0; m <= n[1]; m++ {
				if k+m == 0 {
					continue
				}
				c := libdns.Compose(libdns.Composition{K: k, M: m}.Share(), n[0], n[1])
				if c.Share() != (libdns.Composition{K: k, M: m}).Share() {
					t.Fatalf("%d+%d: the share of %d+%d composes to %+v with another share", n[0], n[1], k, m, c)
				}
				if again := libdns.Compose(c.Share(), n[0], n[1]); again != c {
					t.Fatalf("%d+%d: %+v is not a fixed point (%+v)", n[0], n[1], c, again)
				}
			}
		}
	}
}

func TestComposeDegenerate(t *testing.T) {
	if c := libdns.Compose(5000, 0, 0); c != (libdns.Composition{}) || c.Share() != 0 {
		t.Errorf("Compose with no addresses = %+v", c)
	}
	if c := libdns.Compose(5000, 3, 0); c != (libdns.Composition{K: 3}) {
		t.Errorf("Compose with no secondary = %+v", c)
	}
	if c := libdns.Compose(-5, 2, 2); c != (libdns.Composition{M: 2}) {
		t.Errorf("Compose(-5) = %+v", c)
	}
	if r := libdns.Resolution(0, 3); r != providers.ShareFull {
		t.Errorf("Resolution(0, 3) = %v", r)
	}
}
