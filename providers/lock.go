package providers

import (
	"context"
	"fmt"
	"sync"
)

// locks holds one lock per steered thing, for the whole process.
var locks sync.Map // string -> chan struct{}

// Lock serializes this process's writes to one steered thing (a hosted
// zone, a listener, a URL map, a zone on a DNS server): a target reads,
// decides, writes and reads back under the lock, so concurrent Apply calls
// never decide on a state another one is changing, and a read after a
// write is never served from a run cache filled before it.
//
// key names the thing across every provider package, so it starts with
// the provider's namespace ("route53\x00…", "urlMaps\x00…"). Lock waits
// until the lock is free or ctx is done; then the error, which wraps
// ctx.Err(), reads "waiting for another change of <what>". The returned
// function releases the lock.
func Lock(ctx context.Context, key, what string) (unlock func(), err error) {
	ch, _ := locks.LoadOrStore(key, make(chan struct{}, 1))
	c := ch.(chan struct{})
	select {
	case c <- struct{}{}:
		return func() { <-c }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for another change of %s: %w", what, ctx.Err())
	}
}
