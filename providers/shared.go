package providers

import "sync"

// Shared holds one value per key for the whole process: the API clients of
// a provider block, built once and shared by every target and check bound
// to the block. The key holds every setting of the block, so that a
// changed block (a reloaded policy) gets new ones. It is safe for
// concurrent use; the zero value is ready.
type Shared[T any] struct {
	mu sync.Mutex
	m  map[string]T
}

// Get returns the value under key, made by build the first time.
func (s *Shared[T]) Get(key string, build func() T) T {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.m[key]; ok {
		return v
	}
	if s.m == nil {
		s.m = map[string]T{}
	}
	v := build()
	s.m[key] = v
	return v
}
