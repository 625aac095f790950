package providers_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/fbctl/fbctl/providers"
)

func TestLockSerializesAndGivesUp(t *testing.T) {
	unlock, err := providers.Lock(context.Background(), "test\x00a", "thing a")
	if err != nil {
		t.Fatal(err)
	}
	// Another key is free.
	other, err := providers.Lock(context.Background(), "test\x00b", "thing b")
	if err != nil {
		t.Fatal(err)
	}
	other()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := providers.Lock(ctx, "test\x00a", "thing a"); !errors.Is(err, context.DeadlineExceeded) ||
		err.Error() != "waiting for another change of thing a: context deadline exceeded" {
		t.Fatalf("Lock while held = %v", err)
	}
	unlock()
	again, err := providers.Lock(context.Background(), "test\x00a", "thing a")
	if err != nil {
		t.Fatalf("Lock after unlock = %v", err)
	}
	again()
}
