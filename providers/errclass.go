package providers

import (
	"context"
	"io"
	"net"
	"strconv"
	"syscall"
)

// ErrorClass says whether a failed call may succeed when repeated
// unchanged. The zero value is Fatal: what nobody classified is never
// retried.
type ErrorClass int

const (
	// Fatal: repeating the call gets the same answer until a person or
	// another system changes something (bad input, not found, denied,
	// refused by validation or policy), or the caller gave up (its
	// context is done).
	Fatal ErrorClass = iota
	// Transient: the call may succeed if repeated later, unchanged
	// (throttling, HTTP 5xx, a timeout, a refused or reset connection).
	Transient
)

func (c ErrorClass) String() string {
	switch c {
	case Fatal:
		return "fatal"
	case Transient:
		return "transient"
	}
	return "ErrorClass(" + strconv.Itoa(int(c)) + ")"
}

// ClassifiedError is an error its provider has classified. Its message is
// Err's, unchanged; errors.Is and errors.As see through it.
type ClassifiedError struct {
	Class ErrorClass
	Err   error
}

func (e *ClassifiedError) Error() string {
	if e.Err == nil {
		return e.Class.String() + " error"
	}
	return e.Err.Error()
}

func (e *ClassifiedError) Unwrap() error { return e.Err }

// TransientError marks err as Transient; nil stays nil.
func TransientError(err error) error {
	if err == nil {
		return nil
	}
	return &ClassifiedError{Class: Transient, Err: err}
}

// FatalError marks err as Fatal; nil stays nil.
func FatalError(err error) error {
	if err == nil {
		return nil
	}
	return &ClassifiedError{Class: Fatal, Err: err}
}

// IsTransient reports whether err is Transient: whether the failed call
// may be repeated. It is false for nil.
func IsTransient(err error) bool {
	return err != nil && Classify(err) == Transient
}

// Classify returns the class of err, walking its chain from the outside in:
//
//  1. The outermost *ClassifiedError on the chain decides: the provider
//     that knows its API has spoken.
//  2. Otherwise context.Canceled and context.DeadlineExceeded anywhere on
//     the chain make it Fatal: the caller gave up, and repeating the call
//     under the same context fails the same way. (A provider that sets its
//     own deadline inside a live context marks its expiry Transient.)
//  3. Otherwise a generic transport failure makes it Transient: a
//     *net.OpError, a net.Error whose Timeout() is true, ECONNRESET,
//     ECONNREFUSED, ECONNABORTED, ETIMEDOUT, EPIPE, io.ErrUnexpectedEOF;
//     except a host name that does not exist (a *net.DNSError with
//     IsNotFound), which is Fatal.
//  4. Anything else is Fatal, and so is nil.
//
// Where the chain forks (errors.Join, fmt.Errorf with several %w), err is
// Transient only when every branch is: a failure joined to another that
// repeating cannot fix is not worth repeating.
func Classify(err error) ErrorClass {
	if err == nil {
		return Fatal
	}
	var chain []error
	var fork []error
	for e := err; e != nil; {
		if ce, ok := e.(*ClassifiedError); ok {
			return ce.Class
		}
		chain = append(chain, e)
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			e = u.Unwrap()
		case interface{ Unwrap() []error }:
			fork, e = u.Unwrap(), nil
		default:
			e = nil
		}
	}
	for _, e := range chain {
		if gaveUp(e) || hostNotFound(e) {
			return Fatal
		}
	}
	if fork != nil {
		n := 0
		for _, b := range fork {
			if b == nil {
				continue
			}
			if Classify(b) == Fatal {
				return Fatal
			}
			n++
		}
		if n > 0 {
			return Transient
		}
		return Fatal
	}
	for _, e := range chain {
		if transport(e) {
			return Transient
		}
	}
	return Fatal
}

// gaveUp reports whether e itself is a context's error (or says it is,
// as the net package's dial errors do).
func gaveUp(e error) bool {
	if e == context.Canceled || e == context.DeadlineExceeded {
		return true
	}
	is, ok := e.(interface{ Is(error) bool })
	return ok && (is.Is(context.Canceled) || is.Is(context.DeadlineExceeded))
}

func hostNotFound(e error) bool {
	d, ok := e.(*net.DNSError)
	return ok && d.IsNotFound
}

// transport reports whether e itself is a generic transport failure.
func transport(e error) bool {
	switch x := e.(type) {
	case *net.OpError:
		return true
	case syscall.Errno:
		switch x {
		case syscall.ECONNRESET, syscall.ECONNREFUSED, syscall.ECONNABORTED, syscall.ETIMEDOUT, syscall.EPIPE:
			return true
		}
		return false
	}
	if e == io.ErrUnexpectedEOF {
		return true
	}
	ne, ok := e.(net.Error)
	return ok && ne.Timeout()
}
