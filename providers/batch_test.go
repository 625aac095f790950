package providers_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/fbctl/fbctl/providers"
)

func TestBatchWritesEachRunsStagingsOnce(t *testing.T) {
	ctx := providers.WithRunCache(context.Background())
	var writes [][]string
	write := func(_ context.Context, staged []string) error {
		writes = append(writes, slices.Clone(staged))
		return errors.New("boom")
	}
	a := providers.JoinBatch(ctx, "zone", "a", write)
	b := providers.JoinBatch(ctx, "zone", "b", write)
	other := providers.JoinBatch(ctx, "other zone", "c", write)
	if a != b || a == other {
		t.Fatal("stagings under one key are not in one batch, or under two keys in one")
	}
	select {
	case <-a.Done():
		t.Fatal("Done before the flush")
	default:
	}
	if err := providers.FlushRun(ctx); err == nil || err.Error() != "boom\nboom" {
		t.Fatalf("FlushRun = %v", err)
	}
	<-a.Done()
	<-other.Done()
	if len(writes) != 2 || !slices.Equal(writes[0], []string{"a", "b"}) || !slices.Equal(writes[1], []string{"c"}) {
		t.Fatalf("writes = %q", writes)
	}
	// After the flush the key opens a new batch.
	if next := providers.JoinBatch(ctx, "zone", "d", write); next == a {
		t.Fatal("a flushed batch took a staging")
	}
	writes = nil
	_ = providers.FlushRun(ctx)
	if len(writes) != 1 || !slices.Equal(writes[0], []string{"d"}) {
		t.Fatalf("second flush wrote %q", writes)
	}
	<-providers.FlushedBatch[string]().Done()
}

type fakeTarget struct{ applied providers.Share }

func (f *fakeTarget) Observe(context.Context) (providers.Share, error) { return f.applied, nil }
func (f *fakeTarget) Apply(_ context.Context, want providers.Share) (providers.Share, error) {
	f.applied = want
	return want, nil
}
func (f *fakeTarget) Resolution() providers.Share { return 1 }

func TestApplyLater(t *testing.T) {
	ft := &fakeTarget{}
	p := providers.ApplyLater(ft, 2500)
	if ft.applied != 0 {
		t.Fatal("applied before Wait")
	}
	if got, err := p.Wait(context.Background()); got != 2500 || err != nil || ft.applied != 2500 {
		t.Fatalf("Wait = %v, %v", got, err)
	}
}
