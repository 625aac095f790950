package docgen_test

import (
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// TestMarkdownLinks checks every relative link of README.md and of every
// docs/**/*.md: the file or directory it names exists, and a #fragment
// into a Markdown file names one of its headings (GitHub's anchors).
func TestMarkdownLinks(t *testing.T) {
	anchors := map[string]map[string]bool{}
	anchorsOf := func(name string) map[string]bool {
		if a, ok := anchors[name]; ok {
			return a
		}
		a := headingAnchors(readDoc(t, name))
		anchors[name] = a
		return a
	}
	checked := 0
	for _, name := range docFiles(t) {
		for _, l := range markdownLinks(readDoc(t, name)) {
			target := l.target
			if strings.HasPrefix(target, "<") && strings.HasSuffix(target, ">") {
				target = target[1 : len(target)-1]
			}
			if u, err := url.Parse(target); err != nil || u.Scheme != "" || u.Host != "" {
				continue // absolute: not checked here
			}
			checked++
			file, frag, _ := strings.Cut(target, "#")
			file, err := url.PathUnescape(file)
			if err != nil {
				t.Errorf("%s:%d: link %q: %v", name, l.line, l.target, err)
				continue
			}
			dest := name
			if file != "" {
				if strings.HasPrefix(file, "/") {
					t.Errorf("%s:%d: link %q is rooted; use a path relative to the file", name, l.line, l.target)
					continue
				}
				dest = path.Clean(path.Join(path.Dir(name), file))
				if strings.HasPrefix(dest, "../") || dest == ".." {
					t.Errorf("%s:%d: link %q leaves the repository", name, l.line, l.target)
					continue
				}
				if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(dest))); err != nil {
					t.Errorf("%s:%d: link %q: %s does not exist", name, l.line, l.target, dest)
					continue
				}
			}
			if frag == "" || !strings.HasSuffix(dest, ".md") {
				continue
			}
			if !anchorsOf(dest)[frag] {
				t.Errorf("%s:%d: link %q: %s has no heading with anchor #%s", name, l.line, l.target, dest, frag)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no relative links found: the link parser is broken")
	}
}

type mdLink struct {
	line   int
	target string
}

var (
	// [text](target) or [text](target "title"); images too.
	inlineLink = regexp.MustCompile(`\]\(([^()\s]+)(?:\s+"[^"]*")?\)`)
	// [label]: target
	refLink  = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s+(\S+)`)
	codeSpan = regexp.MustCompile("`+[^`]*`+")
)

// markdownLinks returns the link targets outside fenced code blocks and
// code spans.
func markdownLinks(text string) []mdLink {
	var out []mdLink
	fence := ""
	for i, line := range strings.Split(text, "\n") {
		if f := fenceOf(line); f != "" {
			switch {
			case fence == "":
				fence = f
			case strings.HasPrefix(strings.TrimSpace(line), fence):
				fence = ""
			}
			continue
		}
		if fence != "" {
			continue
		}
		line = codeSpan.ReplaceAllString(line, "")
		for _, m := range inlineLink.FindAllStringSubmatch(line, -1) {
			out = append(out, mdLink{line: i + 1, target: m[1]})
		}
		if m := refLink.FindStringSubmatch(line); m != nil {
			out = append(out, mdLink{line: i + 1, target: m[1]})
		}
	}
	return out
}

// fenceOf returns the fence (``` or ~~~, as long as written) that line
// opens or closes, or "".
func fenceOf(line string) string {
	s := strings.TrimLeft(line, " ")
	if len(line)-len(s) > 3 {
		return ""
	}
	for _, c := range []string{"`", "~"} {
		n := len(s) - len(strings.TrimLeft(s, c))
		if n >= 3 {
			return strings.Repeat(c, n)
		}
	}
	return ""
}

// headingAnchors returns the anchors GitHub gives the ATX headings of a
// Markdown file: lower case, punctuation but '-' and '_' dropped, spaces
// turned into '-', and "-1", "-2", ... appended to repeats.
func headingAnchors(text string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	fence := ""
	for _, line := range strings.Split(text, "\n") {
		if f := fenceOf(line); f != "" {
			switch {
			case fence == "":
				fence = f
			case strings.HasPrefix(strings.TrimSpace(line), fence):
				fence = ""
			}
			continue
		}
		if fence != "" || !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.TrimLeft(line, "#")
		if len(line)-len(h) > 6 || (h != "" && h[0] != ' ') {
			continue
		}
		a := slug(strings.TrimSpace(strings.TrimRight(strings.TrimSpace(h), "#")))
		if n := seen[a]; n > 0 {
			out[a+"-"+strconv.Itoa(n)] = true
		} else {
			out[a] = true
		}
		seen[a]++
	}
	return out
}

func slug(heading string) string {
	// Link text of a link in a heading counts, not its target.
	heading = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`).ReplaceAllString(heading, "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

// TestSlug pins the anchor rule on headings of the docs.
func TestSlug(t *testing.T) {
	for h, want := range map[string]string{
		"Locks":                  "locks",
		"The directory is input": "the-directory-is-input",
		"`gcp_url_map`: a weighted split of requests":                               "gcp_url_map-a-weighted-split-of-requests",
		"Google Cloud: `gcp_url_map`, `gcp_backend_capacity`, `gcp_backend_health`": "google-cloud-gcp_url_map-gcp_backend_capacity-gcp_backend_health",
		"`provider \"aws\" \"NAME\"`":                                               "provider-aws-name",
		"Exit codes":                                                                "exit-codes",
	} {
		if got := slug(h); got != want {
			t.Errorf("slug(%q) = %q, want %q", h, got, want)
		}
	}
}
