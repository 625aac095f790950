package app

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/fbctl/fbctl/internal/engine"
	"github.com/fbctl/fbctl/providers"
)

// progress shows a waiting reconcile: a bar redrawn in place on a terminal,
// one log line per change otherwise.
type progress struct {
	now  func() time.Time
	w    io.Writer
	tty  bool
	last map[string]string
	drew bool
	// json: --log-format json; each change is a log record with fields
	// (session.logResult) and nothing is drawn.
	json bool
}

func newProgress(streams IO, now func() time.Time) *progress {
	return &progress{now: now, w: streams.ErrOut, tty: streams.ErrTerminal, last: map[string]string{}}
}

func (p *progress) show(fb *engine.Failback, rep *engine.Report, err error, s *session) {
	msg := s.line(fb.Name, rep, err)
	if p.json {
		if p.last[fb.Name] != msg {
			j := s.runJSON(fb.Name, rep, err, codeOf(rep, err, false))
			s.logResult(context.Background(), "reconcile", msg, j)
			p.last[fb.Name] = msg
		}
		return
	}
	if !p.tty {
		if p.last[fb.Name] != msg {
			fmt.Fprintln(p.w, p.now().UTC().Format(time.TimeOnly), msg)
			p.last[fb.Name] = msg
		}
		return
	}
	share := providers.Share(0)
	if rep != nil {
		share = rep.After.Share
	}
	const width = 20
	n := int(share) * width / int(providers.ShareFull)
	bar := strings.Repeat("#", n) + strings.Repeat("-", width-n)
	if len(msg) > 100 {
		msg = msg[:97] + "..."
	}
	fmt.Fprintf(p.w, "\r\033[K[%s] %s", bar, msg)
	p.drew = true
}

func (p *progress) done() {
	if p.tty && p.drew {
		fmt.Fprintln(p.w)
		p.drew = false
	}
}
