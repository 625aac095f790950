package app

import (
	"fmt"
	"os"
	"os/user"
	"unicode"
	"unicode/utf8"
)

// ActorEnv names the environment variable that says who runs fbctl when
// --actor does not: a CI job sets it once for every command it runs.
const ActorEnv = "FBCTL_ACTOR"

// MaxActorLen is the longest actor, in characters: enough for a CI
// pipeline and job reference, short enough for a history table.
const MaxActorLen = 128

// ResolveActor sets g.Actor, who the events and the lock will name:
// flag when given (--actor wins), else FBCTL_ACTOR when set and not
// empty, else the OS user. The first two are input from whoever starts
// fbctl and end up in the history, logs and terminals of others, so they
// are checked: 1 to MaxActorLen printable characters. A bad value is a
// command-line error naming where it came from.
func (g *Global) ResolveActor(flag string, given bool) error {
	if given {
		if err := checkActor(flag); err != nil {
			return Invalid("invalid --actor: %s", err)
		}
		g.Actor = flag
		return nil
	}
	if v, ok := g.lookupEnv(ActorEnv); ok && v != "" {
		if err := checkActor(v); err != nil {
			return Invalid("invalid %s: %s", ActorEnv, err)
		}
		g.Actor = v
		return nil
	}
	g.Actor = osUser()
	return nil
}

// checkActor says what is wrong with an actor, without echoing a value
// that may carry terminal escapes.
func checkActor(s string) error {
	if s == "" {
		return fmt.Errorf("it is empty; give 1 to %d printable characters, such as \"gitlab:pipeline/123 job/456\"", MaxActorLen)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("it is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > MaxActorLen {
		return fmt.Errorf("it is %d characters long; the limit is %d", n, MaxActorLen)
	}
	for i, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("character %d is %U, which is not printable (control characters and newlines are refused)", utf8.RuneCountInString(s[:i])+1, r)
		}
	}
	return nil
}

// osUser is the actor when nobody says otherwise.
func osUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "unknown"
}
