package fault

import (
	"testing"
	"time"
)

func TestNthAndRate(t *testing.T) {
	in := New(1)
	in.Add(Rule{Op: "Change", Kind: Throttle, Nth: 2})
	in.Add(Rule{Kind: Latency, Nth: 1, Delay: time.Second})
	if f, d := in.Next("Change"); f != nil || d != time.Second {
		t.Fatalf("call 1: %v %v", f, d)
	}
	if f, _ := in.Next("List"); f != nil {
		t.Fatalf("other op: %v", f)
	}
	if f, _ := in.Next("Change"); f == nil || f.Kind != Throttle {
		t.Fatalf("call 2: %v", f)
	}
	if f, _ := in.Next("Change"); f != nil {
		t.Fatalf("call 3: %v", f)
	}
	in.Reset()
	in.Add(Rule{Kind: ServerError, Rate: 0.5})
	n := 0
	for i := 0; i < 1000; i++ {
		if f, _ := in.Next("x"); f != nil {
			n++
		}
	}
	if n < 400 || n > 600 {
		t.Fatalf("rate 0.5 fired %d of 1000 times", n)
	}
}
