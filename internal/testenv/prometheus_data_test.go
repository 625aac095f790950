package testenv

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// testPromHash is the bcrypt hash (cost 4) of "s3cret-pr0m-pass".
const testPromHash = "$2a$04$5S0iRyVtCHCXiU2GQUeG9uP3sHou0C.zisDXZZ844JwRhEf6DtCSq"

// A backfilled TSDB answers queries at chosen times at once, without a
// scrape; with basic_auth_users, a request without credentials is refused.
func TestPrometheusWithData(t *testing.T) {
	base := time.Now().Add(-2 * time.Hour).Truncate(time.Minute)
	var om strings.Builder
	om.WriteString("# TYPE testenv_backfilled gauge\n")
	for i := 0; i <= 60; i++ {
		fmt.Fprintf(&om, "testenv_backfilled{kind=\"x\"} %d %d\n", i, base.Add(time.Duration(i)*time.Minute).Unix())
	}
	om.WriteString("# EOF\n")
	p := StartPrometheus(t, PrometheusConfig{OpenMetrics: om.String(),
		BasicAuthUsers: map[string]string{"fbctl": testPromHash}, Username: "fbctl", Password: "s3cret-pr0m-pass"})

	at := base.Add(30 * time.Minute).Unix()
	got := p.Query(t, fmt.Sprintf("testenv_backfilled @ %d", at))
	if len(got) != 1 || got[0].Value != 30 || got[0].Labels["kind"] != "x" {
		t.Fatalf("testenv_backfilled @ base+30m = %v, want one sample 30", got)
	}
	resp, err := http.Get(p.URL + "/api/v1/query?query=up")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a query without credentials: HTTP %d, want 401", resp.StatusCode)
	}
}
