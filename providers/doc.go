// Package providers holds the contracts between fbctl and the systems it
// steers, and the registry of target and check kinds.
//
// # Kinds
//
// Every target kind (a steering point such as a pair of Route 53 weighted
// record sets) and every check kind (a health signal such as an HTTP probe)
// is described by a [Kind]: its class, its name, the provider type it needs
// (if any) and the schema of its block body, expressed in cty types. A
// provider package declares its kinds and registers them with a [Registry]
// through a Register function; nothing registers itself in init, so the set
// of kinds a binary knows is exactly the set its wiring asked for.
//
// The registry is the single source of truth the policy language validates
// against: a policy is checked against the registered schemas before any
// behaviour exists, and later code attaches behaviour to the same
// registration. Looking up a kind that is not registered is an error that
// lists the known kinds; the registry never falls back to a default.
//
// A Registry is built once at start-up and is read-only afterwards; reads are
// safe for concurrent use. Register panics on a programming error (a
// duplicate or malformed kind), because that can only happen in fbctl's own
// wiring, never because of user input.
//
// # One static verdict
//
// `fbctl validate` and every run judge a block alike. [Kind.Problems] (and
// [ProviderType.Problems]) is the static verdict: no required attribute
// set to null, no null inside a list or map ([AttributeProblems]), exactly
// one of each ExactlyOneOf group, a target's primary and secondary members
// ([SidesProblems]), then the kind's own Validate. The policy language
// reports each problem at its attribute; the registry wraps every
// constructor it holds so that it asks the same verdict first and refuses
// with a [*StaticError] (see [ValidateBlock]), before any of its own code.
//
// Validate therefore holds every check a constructor can make without I/O:
// a constructor may refuse a block Validate accepts only when a value is
// still unknown, or for a reason that needs the world (a file to read, a
// secret checked only in its real form). Validate skips unknown values,
// never panics, and never quotes the value of an attribute that carries a
// mark (say which attribute instead); [ValidateBlock] and the policy
// language replace the Detail of a Problem about a marked attribute the
// schema does not declare Sensitive all the same. The parity test in
// internal/kinds (providertest.Parity) holds every registered kind to this
// with hostile values of each attribute's type.
//
// # Runs
//
// One run is one fbctl invocation's pass over its failbacks. A [RunCache] in
// the run's context shares reads across them (a hosted zone is listed once)
// and holds the run's flushers: a target that implements [Stager] only
// records its change when staged, and [FlushRun] writes every staged change
// of the run, batched per provider resource (one Route 53 change per hosted
// zone), each [Pending] then reporting its batch's outcome.
//
// # Writing a provider
//
// What every provider package does alike lives here, once: a [Decoder]
// reads a block's attributes (and [Decoder.Sides] its primary and
// secondary lists), noting marked values in a [Redactor]; [Shared] holds
// the API clients of each provider block; [Cached] reads through the run's
// RunCache; [Lock] serializes the process's writes to one steered thing;
// [CheckShare] refuses a share outside 0-10000; [JoinBatch] and
// [ApplyLater] are the machinery of a [Stager]; [FinishProbe] and
// [ProbeFailure] make a Check's Probe never panic and describe a failed
// call alike; [ObserveRequest], called from the one place a provider's
// requests pass through (an SDK middleware, a retry loop), tells the
// context's [RequestObserver] about each attempt, for `fbctl run`'s
// metrics, and changes nothing else.
//
// # Errors
//
// Every error a Target returns has an [ErrorClass], read with
// [Classify] or [IsTransient], so that the engine and the commands decide
// alike whether a failed failback is worth another try:
//
//   - Transient: the same call may succeed later, unchanged. Throttling
//     (HTTP 429, a provider's rate-limit codes), HTTP 5xx, timeouts that
//     are not the caller's, connection resets and refusals.
//   - Fatal: everything else. Bad input, not found, authentication and
//     authorization, validation, an answer the API gives on purpose (a
//     refused update, a rejected key), and the caller's own context ending
//     (cancelled or past its deadline).
//
// Classify knows the transport failures every provider shares (a
// *net.OpError, a net.Error timeout, ECONNRESET, ECONNREFUSED, ...). This
// package imports no cloud SDK, so each provider package classifies its
// own API's errors where it builds them, wrapping them with
// [TransientError] or [FatalError]; the outermost classification on an
// error's chain wins, and the message is unchanged. An error that joins
// several (a failed write and a failed revert) is Transient only when all
// of them are. A provider that retries a call itself retries only a
// Transient error, and the error it returns after its retries keeps the
// class.
//
// # Shares
//
// A [Share] is the part of a failback's traffic sent to the primary, in basis
// points (0 to 10000). It is an integer so that steps compare exactly and
// never drift through floating-point arithmetic.
package providers
