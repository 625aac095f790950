package aws

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/aws/smithy-go/logging"
)

// TestSDKLogsThroughSlog: the clients' logger is fbctl's, and what the SDK
// logs (a WARN such as "falling back to IMDSv1") is a record of
// slog.Default, a JSON object with a time under --log-format json, never
// the SDK's own "SDK 2026/12/01 ... WARN" line.
func TestSDKLogsThroughSlog(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	acct, err := accountFor(providerBlock(t, "http://127.0.0.1:1", nil))
	if err != nil {
		t.Fatal(err)
	}
	c, err := acct.route53(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l := logging.WithContext(context.Background(), c.Options().Logger)
	l.Logf(logging.Warn, "falling back to %s", "IMDSv1")
	l.Logf(logging.Debug, "not shown at info")

	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("the SDK's log is not one JSON record: %v\n%s", err, buf.String())
	}
	if rec["level"] != "WARN" || rec["msg"] != "falling back to IMDSv1" || rec["library"] != "aws-sdk" || rec["time"] == nil {
		t.Fatalf("record %v", rec)
	}
}
