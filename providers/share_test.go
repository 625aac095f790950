package providers_test

import (
	"testing"

	"github.com/fbctl/fbctl/providers"
)

func TestCheckShare(t *testing.T) {
	for _, s := range []providers.Share{providers.ShareNone, 1, providers.ShareFull} {
		if err := providers.CheckShare(s); err != nil {
			t.Errorf("CheckShare(%d) = %v", s, err)
		}
	}
	if err := providers.CheckShare(-1); err == nil || err.Error() != "share -1 basis points is outside 0-10000" {
		t.Errorf("CheckShare(-1) = %v", err)
	}
	if err := providers.CheckShare(10001); err == nil {
		t.Error("CheckShare(10001) = nil")
	}
}
