package providers

import "strings"

// SidesOf judges both sides of a target from their members (target groups,
// backend services, backend groups): a side delivers nothing only when
// every one of its members does. out says why a member delivers nothing
// ("" when it serves); an error stops the judgement. describe turns a
// side's name ("primary", "secondary") and its members' reasons, joined
// with "; ", into the side's phrase in Sides; it also gets the number of
// the side's members, for the grammar. A side without members is not
// judged here: the target's constructor refuses one.
func SidesOf[M any](primary, secondary []M, out func(M) (string, error), describe func(side string, members int, reasons string) string) (Sides, error) {
	var sides Sides
	for _, side := range []struct {
		name    string
		members []M
		dst     *string
	}{{"primary", primary, &sides.PrimaryOut}, {"secondary", secondary, &sides.SecondaryOut}} {
		var reasons []string
		for _, m := range side.members {
			why, err := out(m)
			if err != nil {
				return Sides{}, err
			}
			if why == "" {
				reasons = nil
				break
			}
			reasons = append(reasons, why)
		}
		if len(reasons) > 0 {
			*side.dst = describe(side.name, len(side.members), strings.Join(reasons, "; "))
		}
	}
	return sides, nil
}
