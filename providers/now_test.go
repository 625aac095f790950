package providers

import (
	"context"
	"testing"
	"time"
)

func TestNowFrom(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := NowFrom(WithNow(context.Background(), at)); !got.Equal(at) {
		t.Errorf("NowFrom(WithNow(at)) = %v, want %v", got, at)
	}
	before := time.Now()
	if got := NowFrom(context.Background()); got.Before(before) {
		t.Errorf("NowFrom without WithNow = %v, want the wall clock (>= %v)", got, before)
	}
	if got := NowFrom(WithNow(context.Background(), time.Time{})); got.IsZero() {
		t.Error("a zero time set by WithNow must fall back to the wall clock")
	}
}
