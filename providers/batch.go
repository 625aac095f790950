package providers

import (
	"context"
	"sync"
)

// Batch is what one run stages on one provider resource (a hosted zone, a
// URL map), written together by the run's flush: the machinery of a
// Stager. S is the provider's record of one staging, where the write
// leaves that staging's outcome for its Pending.
type Batch[S any] struct {
	key     string
	mu      sync.Mutex
	staged  []S
	flushed bool
	done    chan struct{} // closed when flushed
}

// JoinBatch adds s to the batch open under key in the run of ctx, which
// must carry a RunCache. The first staging under key opens the batch and
// registers its flush with the run; a batch being flushed takes no more
// stagings, so the next one opens a new batch. The flush runs write once,
// with every staging in the order staged, unless there is none.
func JoinBatch[S any](ctx context.Context, key string, s S, write func(ctx context.Context, staged []S) error) *Batch[S] {
	rc := RunCacheFrom(ctx)
	for {
		v, _ := rc.Get(key, func() (any, error) {
			return &Batch[S]{key: key, done: make(chan struct{})}, nil
		})
		b := v.(*Batch[S])
		b.mu.Lock()
		if b.flushed {
			// Flushed between Get and now: the next Get makes a new batch.
			b.mu.Unlock()
			rc.Forget(key)
			continue
		}
		b.staged = append(b.staged, s)
		b.mu.Unlock()
		rc.OnFlush(key, func(ctx context.Context) error { return b.flush(ctx, write) })
		return b
	}
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
	b.flushed = true
	all := b.staged
	b.mu.Unlock()
	RunCacheFrom(ctx).Forget(b.key)
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
