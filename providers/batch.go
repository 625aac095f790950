package providers

import (
	"context"
	"fmt"
	"sync"
)

// Batch is what one run stages on one provider resource (a hosted zone, a
// URL map), written together by the run's flush: the machinery of a
// Stager. S is the provider's record of one staging, where the write
// leaves that staging's outcome for its Pending.
type Batch[S any] struct {
	mu      sync.Mutex
	staged  []S
	flushed bool
	done    chan struct{} // closed when flushed
}

// batchSlot holds the batch open under one key in one run. It lives in the
// RunCache for the whole run; only what it points at changes, so a flush
// that detaches its batch can never drop a newer one.
type batchSlot struct {
	mu  sync.Mutex
	cur any // *Batch[S]; nil when no batch is open
}

// JoinBatch adds s to the batch open under key in the run of ctx, which
// must carry a RunCache. The first staging under key opens the batch and
// registers its flush with the run; a batch being flushed takes no more
// stagings, so the next one opens a new batch. The flush runs write once,
// with every staging in the order staged, unless there is none. Stagings
// and flushes may race: every staging is written by exactly one flush (the
// run's next FlushRun at the latest), and none twice.
func JoinBatch[S any](ctx context.Context, key string, s S, write func(ctx context.Context, staged []S) error) *Batch[S] {
	rc := RunCacheFrom(ctx)
	v, _ := rc.Get("batch\x00"+key, func() (any, error) { return &batchSlot{}, nil })
	slot := v.(*batchSlot)
	slot.mu.Lock()
	b, _ := slot.cur.(*Batch[S])
	if b == nil {
		b = &Batch[S]{done: make(chan struct{})}
		slot.cur = b
	}
	// The flush detaches b from the slot (under slot.mu) before it takes
	// b's stagings (under b.mu), so b is not flushed yet and s is in time.
	b.mu.Lock()
	b.staged = append(b.staged, s)
	b.mu.Unlock()
	slot.mu.Unlock()
	// Keyed by the batch, not the resource: a newer batch under key is
	// never shadowed by a re-registration of this one, which is harmless
	// (a second flush of a batch does nothing).
	rc.OnFlush(fmt.Sprintf("batch\x00%s\x00%p", key, b), func(ctx context.Context) error {
		slot.mu.Lock()
		if slot.cur == any(b) {
			slot.cur = nil
		}
		slot.mu.Unlock()
		return b.flush(ctx, write)
	})
	return b
}

// FlushedBatch returns a batch that is already flushed: the batch of a
// staging that changes nothing.
func FlushedBatch[S any]() *Batch[S] {
	b := &Batch[S]{done: make(chan struct{}), flushed: true}
	close(b.done)
	return b
}

// Done is closed once the batch's flush has run (and write returned).
func (b *Batch[S]) Done() <-chan struct{} { return b.done }

func (b *Batch[S]) flush(ctx context.Context, write func(ctx context.Context, staged []S) error) error {
	b.mu.Lock()
	if b.flushed {
		b.mu.Unlock()
		return nil
	}
	b.flushed = true
	all := b.staged
	b.mu.Unlock()
	defer close(b.done)
	if len(all) == 0 {
		return nil
	}
	return write(ctx, all)
}

// ApplyLater is the Pending a Stager returns when ctx has no RunCache, so
// that there is no flush: Wait applies want to t.
func ApplyLater(t Target, want Share) Pending { return applyLater{t, want} }

type applyLater struct {
	t    Target
	want Share
}

func (p applyLater) Wait(ctx context.Context) (Share, error) { return p.t.Apply(ctx, p.want) }
