package providers_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

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

// TestBatchStagingsRacingFlushes: stagings and flushes of one run race;
// every staging is written by exactly one flush, none twice, and every
// batch is done after the last flush.
func TestBatchStagingsRacingFlushes(t *testing.T) {
	for round := 0; round < 50; round++ {
		ctx := providers.WithRunCache(context.Background())
		var mu sync.Mutex
		written := map[int]int{}
		write := func(_ context.Context, staged []int) error {
			mu.Lock()
			defer mu.Unlock()
			for _, s := range staged {
				written[s]++
			}
			return nil
		}
		const n = 64
		batches := make([]*providers.Batch[int], n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				batches[i] = providers.JoinBatch(ctx, "zone", i, write)
			}()
		}
		stop := make(chan struct{})
		flushed := make(chan struct{})
		go func() {
			defer close(flushed)
			for {
				select {
				case <-stop:
					return
				default:
					_ = providers.FlushRun(ctx)
				}
			}
		}()
		wg.Wait()
		close(stop)
		<-flushed
		_ = providers.FlushRun(ctx)
		for i, b := range batches {
			select {
			case <-b.Done():
			case <-time.After(10 * time.Second):
				t.Fatalf("round %d: staging %d's batch was never flushed", round, i)
			}
			if written[i] != 1 {
				t.Fatalf("round %d: staging %d written %d times", round, i, written[i])
			}
		}
	}
}
