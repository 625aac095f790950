package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// StartPrometheusWithData starts prometheus (as StartPrometheus, scraping
// nothing) on a TSDB backfilled from openmetrics: OpenMetrics text with an
// explicit timestamp (unix seconds) on every sample, each metric family's
// samples together and in time order, ending with "# EOF". Queries at
// chosen times (`time=`, `start=`/`end=`, or the `@` modifier) are then
// deterministic and need no scrape; the server is ready in well under a
// second.
//
// Prometheus keeps blocks within its retention only: choose timestamps in
// the recent past of the wall clock (StartPrometheusWithData sets a 10y
// retention, but blocks in the future of the wall clock are not served
// reliably either).
func StartPrometheusWithData(t testing.TB, openmetrics string) *Prometheus {
	t.Helper()
	return StartPrometheus(t, PrometheusConfig{OpenMetrics: openmetrics})
}

// backfillOpenMetrics writes om into dir and turns it into TSDB blocks in
// data with promtool. A refusal fails the start with promtool's output.
func backfillOpenMetrics(t testing.TB, dir, data, om string) error {
	if !strings.HasSuffix(strings.TrimSpace(om), "# EOF") {
		return fmt.Errorf("backfill: OpenMetrics text must end with \"# EOF\"")
	}
	in := filepath.Join(dir, "backfill.om")
	if err := os.WriteFile(in, []byte(om), 0o600); err != nil {
		return err
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	cmd := exec.Command(Promtool(t), "tsdb", "create-blocks-from", "openmetrics", in, data)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("promtool tsdb create-blocks-from openmetrics: %v\n%s", err, out)
	}
	return nil
}

// renderWebConfig is a --web.config.file requiring basic authentication of
// users (username -> bcrypt hash).
func renderWebConfig(users map[string]string) string {
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("basic_auth_users:\n")
	for _, u := range names {
		fmt.Fprintf(&b, "  %s: %s\n", strconv.Quote(u), strconv.Quote(users[u]))
	}
	return b.String()
}
