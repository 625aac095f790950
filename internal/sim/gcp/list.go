package gcpsim

import (
	"encoding/base64"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/proto"
)

// maxPage is the largest and the default maxResults of a list call.
const maxPage = 500

// page reads maxResults and pageToken and returns the half-open range of n
// sorted items to answer and the token of the next page ("" at the end).
// The token is opaque to clients; it carries the offset and the call it
// belongs to, and a token of another call is 400.
func page(q url.Values, call string, n int) (from, to int, next string, aerr *apiError) {
	size := maxPage
	if v := q.Get("maxResults"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 0 || m > maxPage {
			return 0, 0, "", invalidf("Invalid value for field 'maxResults': '%s'. Must be less than or equal to %d", v, maxPage)
		}
		if m > 0 { // 0 is the default, as for the API
			size = m
		}
	}
	if tok := q.Get("pageToken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		rest, ok := strings.CutPrefix(string(raw), call+"#")
		off, aerr2 := strconv.Atoi(rest)
		if err != nil || !ok || aerr2 != nil || off < 0 || off > n {
			return 0, 0, "", invalidf("Invalid value for field 'pageToken': '%s'. Invalid page token.", tok)
		}
		from = off
	}
	to = min(from+size, n)
	if to < n {
		next = base64.RawURLEncoding.EncodeToString([]byte(call + "#" + strconv.Itoa(to)))
	}
	return from, to, next, nil
}

// keysOf returns the stored keys of a kind, sorted by scope (global first,
// then regions by name) and name; region "*" takes every scope. Caller
// holds s.mu.
func (s *Server) keysOf(kind, region string) []resKey {
	var ks []resKey
	for k := range s.res {
		if k.kind == kind && (region == "*" || k.region == region) {
			ks = append(ks, k)
		}
	}
	slices.SortFunc(ks, func(a, b resKey) int {
		if c := strings.Compare(a.region, b.region); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	return ks
}

// collectionPath is the path of a collection below the project.
func collectionPath(kind, region string) string {
	if region == "" {
		return "global/" + kind
	}
	return "regions/" + region + "/" + kind
}

// list answers urlMaps.list, regionUrlMaps.list, backendServices.list and
// regionBackendServices.list.
func (s *Server) list(kind, region string, q url.Values) (proto.Message, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := collectionPath(kind, region)
	ks := s.keysOf(kind, region)
	from, to, next, aerr := page(q, path, len(ks))
	if aerr != nil {
		return nil, aerr
	}
	id := proto.String("projects/" + s.opts.Project + "/" + path)
	self := proto.String(linkPrefix + s.opts.Project + "/" + path)
	var tok *string
	if next != "" {
		tok = proto.String(next)
	}
	switch kind {
	case kindURLMap:
		out := &computepb.UrlMapList{Kind: proto.String("compute#urlMapList"), Id: id, SelfLink: self, NextPageToken: tok}
		for _, k := range ks[from:to] {
			out.Items = append(out.Items, proto.Clone(s.res[k].msg).(*computepb.UrlMap))
		}
		return out, nil
	default:
		out := &computepb.BackendServiceList{Kind: proto.String("compute#backendServiceList"), Id: id, SelfLink: self, NextPageToken: tok}
		for _, k := range ks[from:to] {
			out.Items = append(out.Items, proto.Clone(s.res[k].msg).(*computepb.BackendService))
		}
		return out, nil
	}
}

// scopeName is the key of an aggregated list's items map.
func scopeName(region string) string {
	if region == "" {
		return "global"
	}
	return "regions/" + region
}

// aggregatedList answers urlMaps.aggregatedList and
// backendServices.aggregatedList: the resources of every scope, keyed by
// scope ("global", "regions/R"); only scopes with resources on the page are
// listed. filter, includeAllScopes and returnPartialSuccess are accepted
// and ignored (gcloud filters again on its side).
func (s *Server) aggregatedList(kind string, q url.Values) (proto.Message, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path := "aggregated/" + kind
	ks := s.keysOf(kind, "*")
	from, to, next, aerr := page(q, path, len(ks))
	if aerr != nil {
		return nil, aerr
	}
	id := proto.String("projects/" + s.opts.Project + "/" + path)
	self := proto.String(linkPrefix + s.opts.Project + "/" + path)
	var tok *string
	if next != "" {
		tok = proto.String(next)
	}
	switch kind {
	case kindURLMap:
		out := &computepb.UrlMapsAggregatedList{Kind: proto.String("compute#urlMapsAggregatedList"), Id: id, SelfLink: self,
			NextPageToken: tok, Items: map[string]*computepb.UrlMapsScopedList{}}
		for _, k := range ks[from:to] {
			sc := out.Items[scopeName(k.region)]
			if sc == nil {
				sc = &computepb.UrlMapsScopedList{}
				out.Items[scopeName(k.region)] = sc
			}
			sc.UrlMaps = append(sc.UrlMaps, proto.Clone(s.res[k].msg).(*computepb.UrlMap))
		}
		return out, nil
	default:
		out := &computepb.BackendServiceAggregatedList{Kind: proto.String("compute#backendServiceAggregatedList"), Id: id, SelfLink: self,
			NextPageToken: tok, Items: map[string]*computepb.BackendServicesScopedList{}}
		for _, k := range ks[from:to] {
			sc := out.Items[scopeName(k.region)]
			if sc == nil {
				sc = &computepb.BackendServicesScopedList{}
				out.Items[scopeName(k.region)] = sc
			}
			sc.BackendServices = append(sc.BackendServices, proto.Clone(s.res[k].msg).(*computepb.BackendService))
		}
		return out, nil
	}
}
