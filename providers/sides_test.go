package providers

import (
	"errors"
	"testing"
)

func TestSidesOf(t *testing.T) {
	out := func(m string) (string, error) {
		switch m {
		case "ok":
			return "", nil
		case "err":
			return "", errors.New("boom")
		}
		return m + " is out", nil
	}
	describe := func(side string, n int, reasons string) string {
		return side + "/" + string(rune('0'+n)) + ": " + reasons
	}
	got, err := SidesOf([]string{"a", "b"}, []string{"c", "ok"}, out, describe)
	if err != nil || got.PrimaryOut != "primary/2: a is out; b is out" || got.SecondaryOut != "" {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := SidesOf([]string{"a", "err"}, nil, out, describe); err == nil {
		t.Fatal("an error of a member must stop the judgement")
	}
}
