package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// demoServe is `fbctl demo --serve`: it starts a control endpoint next to
// w, prints where everything is and the commands to try (text, or one JSON
// document with -o json), waits until ctx is cancelled (Ctrl-C), then stops
// everything, removes the directory unless Keep, and says what it did.
//
// The control endpoint is how a user breaks and mends a site from another
// shell: one loopback HTTP server whose POST /primary/fail makes the
// primary's /healthz answer 503, the --break-primary of the sandbox. curl
// is all it needs, and it dies with the demo, so nothing has to find the
// demo's process or files.
func demoServe(ctx context.Context, streams IO, opts DemoOptions, w *demoWorld) error {
	defer w.close()
	ctlURL, ctl, err := serveLoopback(demoControl(w, streams.ErrOut))
	if err != nil {
		if !opts.Keep {
			_ = os.RemoveAll(w.dir)
		}
		return err
	}
	w.stops = append(w.stops, func() { shutdown(ctl) })
	doc := newDemoServeDoc(w, ctlURL, opts.Keep)

	// Status goes where the document does not: with -o json, stdout holds
	// nothing but the one document, for scripts.
	status := streams.Out
	if opts.Global.Output == OutputJSON {
		status = streams.ErrOut
		err = writeJSON(streams.Out, doc)
	} else {
		err = writeDemoServeText(streams.Out, doc)
	}
	if err == nil {
		<-ctx.Done()
	}

	w.close()
	what := fmt.Sprintf("stopped the Route 53 + ELBv2 emulator (%s), the GCP compute emulator (%s), %s (%s), %s (%s) and the control endpoint (%s)",
		doc.Endpoints.AWS, doc.Endpoints.GCP, demoPrimary, doc.Endpoints.Primary, demoSecondary, doc.Endpoints.Secondary, doc.Endpoints.Control)
	if opts.Keep {
		fmt.Fprintf(status, "fbctl demo: %s; kept %s (policy, state, history)\n", what, w.dir)
	} else if rerr := os.RemoveAll(w.dir); rerr != nil {
		fmt.Fprintf(status, "fbctl demo: %s; could not remove %s: %v\n", what, w.dir, rerr)
	} else {
		fmt.Fprintf(status, "fbctl demo: %s; removed %s\n", what, w.dir)
	}
	return err
}

// demoControl is the control endpoint's handler:
//
//	GET  /weights                   the weights the emulators hold now, one line
//	POST /primary/fail, /recover    the primary's /healthz answers 503, or 200 again
//	POST /secondary/fail, /recover  the same for the secondary
//
// POST, so that a browser or a link checker cannot break a site by looking.
// Each change is also said on log.
func demoControl(w *demoWorld, log io.Writer) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /weights", func(rw http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(rw, w.weights())
	})
	mux.HandleFunc("POST /{side}/{verb}", func(rw http.ResponseWriter, r *http.Request) {
		var svc *demoService
		switch r.PathValue("side") {
		case "primary":
			svc = w.primary
		case "secondary":
			svc = w.secondary
		}
		verb := r.PathValue("verb")
		if svc == nil || (verb != "fail" && verb != "recover") {
			http.Error(rw, "unknown control: use POST /primary/fail, /primary/recover, /secondary/fail or /secondary/recover", http.StatusNotFound)
			return
		}
		svc.healthy.Store(verb == "recover")
		msg := fmt.Sprintf("%s (%s): %s/healthz now answers 200", svc.name, r.PathValue("side"), svc.url)
		if verb == "fail" {
			msg = fmt.Sprintf("%s (%s): %s/healthz now answers 503", svc.name, r.PathValue("side"), svc.url)
		}
		fmt.Fprintln(rw, msg)
		fmt.Fprintln(log, "fbctl demo: "+msg)
	})
	return mux
}

// demoServeDoc is what `fbctl demo --serve -o json` prints: where
// everything runs and the commands to try, for scripts.
type demoServeDoc struct {
	FormatVersion string `json:"format_version"`
	Failback      string `json:"failback"`
	Dir           string `json:"dir"`
	Policy        string `json:"policy"`
	StateDir      string `json:"state_dir"`
	// Kept says whether Dir stays after the demo stops (--keep).
	Kept bool `json:"kept"`
	// Env is what a shell running the commands needs: the AWS SDK wants
	// credentials even for the emulators. The endpoints are in the policy.
	Env       map[string]string `json:"env"`
	Endpoints struct {
		AWS       string `json:"aws"`
		GCP       string `json:"gcp"`
		Primary   string `json:"primary"`
		Secondary string `json:"secondary"`
		Control   string `json:"control"`
	} `json:"endpoints"`
	Control struct {
		Weights          string `json:"weights"`
		PrimaryFail      string `json:"primary_fail"`
		PrimaryRecover   string `json:"primary_recover"`
		SecondaryFail    string `json:"secondary_fail"`
		SecondaryRecover string `json:"secondary_recover"`
	} `json:"control"`
	Commands []demoCommand `json:"commands"`
}

// demoCommand is one command to try: its argv and the same as one line of
// shell.
type demoCommand struct {
	About string   `json:"about"`
	Argv  []string `json:"argv"`
	Shell string   `json:"shell"`
}

func newDemoServeDoc(w *demoWorld, ctlURL string, keep bool) demoServeDoc {
	d := demoServeDoc{FormatVersion: FormatVersion, Failback: demoFailback, Dir: w.dir, Policy: w.policyPath,
		StateDir: filepath.Join(w.dir, "state"), Kept: keep, Env: map[string]string{}}
	for _, kv := range demoCredentials {
		d.Env[kv[0]] = kv[1]
	}
	d.Endpoints.AWS, d.Endpoints.GCP = w.aws.URL, w.gcpURL
	d.Endpoints.Primary, d.Endpoints.Secondary, d.Endpoints.Control = w.primary.url, w.secondary.url, ctlURL
	d.Control.Weights = ctlURL + "/weights"
	d.Control.PrimaryFail, d.Control.PrimaryRecover = ctlURL+"/primary/fail", ctlURL+"/primary/recover"
	d.Control.SecondaryFail, d.Control.SecondaryRecover = ctlURL+"/secondary/fail", ctlURL+"/secondary/recover"

	add := func(about string, argv ...string) {
		q := make([]string, len(argv))
		for i, a := range argv {
			q[i] = shellQuote(a)
		}
		d.Commands = append(d.Commands, demoCommand{About: about, Argv: argv, Shell: strings.Join(q, " ")})
	}
	fbctl := func(about string, args ...string) {
		add(about, append([]string{"fbctl", "-f", w.policyPath}, args...)...)
	}
	fbctl("where the failback stands", "status")
	fbctl("what a run would do now; writes nothing", "plan")
	fbctl("one run: probes the checks, moves a step when it may", "reconcile")
	fbctl("run until the failback completes or rolls back", "reconcile", "--wait")
	fbctl("move to 25 % by hand and hold there (after a healthy reconcile)", "shift", demoFailback, "--percent", "25")
	fbctl("hold the failback where it is", "pause", demoFailback)
	fbctl("hand it back to the rollout", "resume", demoFailback)
	fbctl("all traffic back on "+demoSecondary+" now, then the cooldown", "abort", demoFailback)
	fbctl("what happened, and who did it", "history", demoFailback)
	add("the weights the emulators hold now", "curl", "-s", d.Control.Weights)
	add(demoPrimary+"'s health check fails (the next reconcile rolls back)", "curl", "-X", "POST", d.Control.PrimaryFail)
	add(demoPrimary+"'s health check passes again", "curl", "-X", "POST", d.Control.PrimaryRecover)
	return d
}

// writeDemoServeText prints doc for a person.
func writeDemoServeText(out io.Writer, d demoServeDoc) error {
	stop := "removes " + d.Dir
	if d.Kept {
		stop = "keeps " + d.Dir
	}
	var b strings.Builder
	fmt.Fprintf(&b, "fbctl demo --serve: %s failed over from %s (primary) to %s (secondary); the sandbox runs until Ctrl-C.\n\n",
		d.Failback, demoPrimary, demoSecondary)
	for _, row := range [][2]string{
		{"Route 53 + ELBv2", d.Endpoints.AWS + "  (emulators; the policy points at them)"},
		{"GCP compute", d.Endpoints.GCP},
		{demoPrimary, d.Endpoints.Primary + "  (primary service; its check is /healthz)"},
		{demoSecondary, d.Endpoints.Secondary + "  (secondary service)"},
		{"control", d.Endpoints.Control + "  (makes a site fail or recover; shows the weights)"},
		{"policy", d.Policy + "  (state in " + d.StateDir + ")"},
	} {
		fmt.Fprintf(&b, "  %-17s %s\n", row[0], row[1])
	}
	b.WriteString("\nThe emulators take any AWS credentials, but the SDK wants some. In the shell you try this from:\n  export")
	for _, kv := range demoCredentials {
		fmt.Fprintf(&b, " %s=%s", kv[0], d.Env[kv[0]])
	}
	b.WriteString("\n\nTry:\n")
	width := 0
	for _, c := range d.Commands {
		width = max(width, len(c.Shell))
	}
	for _, c := range d.Commands {
		fmt.Fprintf(&b, "  %-*s  # %s\n", width, c.Shell, c.About)
	}
	fmt.Fprintf(&b, "\nCtrl-C stops everything and %s.\n", stop)
	_, err := io.WriteString(out, b.String())
	return err
}

// shellQuote quotes s for a POSIX shell when it needs it, so that a
// printed command can be pasted as it is.
func shellQuote(s string) string {
	safe := func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r)
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !safe(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
