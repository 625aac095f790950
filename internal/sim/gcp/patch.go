package gcpsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// uuidRE is the form the API requires of requestId (the zero UUID is not
// supported).
var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// write answers urlMaps.patch and backendServices.patch (verb "patch": a
// JSON merge patch, RFC 7386, of body onto the stored resource) and
// urlMaps.update and backendServices.update (verb "update": body replaces
// the resource), both guarded by the stored fingerprint.
func (s *Server) write(k resKey, verb string, body []byte, requestID string) (proto.Message, *apiError) {
	if requestID != "" && (!uuidRE.MatchString(requestID) || strings.Trim(requestID, "0-") == "") {
		return nil, invalidf("Invalid value for field 'requestId': '%s'. The request ID must be a valid UUID (the zero UUID is not supported).", requestID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.res[k]
	if r == nil {
		return nil, notFound(s.resourcePath(k))
	}
	// A retried request (same requestId) gets its first operation back and
	// changes nothing, as the API promises for 60 minutes.
	if requestID != "" {
		if ok, seen := s.requestIDs[requestID]; seen {
			if op := s.ops[ok]; op != nil {
				return proto.Clone(op.pb), nil
			}
		}
	}
	r.patches++
	s.runHooks(k, r)

	patch, aerr := decodeObject(body)
	if aerr != nil {
		return nil, aerr
	}
	if fp, _ := patch["fingerprint"].(string); fp == "" || fp != fingerprintOf(r.msg) {
		return nil, badFingerprint()
	}
	next, aerr := s.nextVersion(k, r.msg, verb, patch, body)
	if aerr != nil {
		return nil, aerr
	}
	keepServerFields(next, r.msg)
	switch m := next.(type) {
	case *computepb.UrlMap:
		aerr = s.validateURLMap(m, k.region)
	case *computepb.BackendService:
		aerr = s.validateBackendService(m)
	}
	if aerr != nil {
		return nil, aerr
	}
	var fail *opFailure
	if len(s.failures) > 0 {
		f := s.failures[0]
		s.failures = s.failures[1:]
		fail = &f
	} else {
		// Applied when accepted: the fingerprint moves at once.
		s.store(k, next)
	}
	op := s.newOperation(k, verb, fail)
	if requestID != "" {
		s.requestIDs[requestID] = opKey{k.region, op.pb.GetName()}
	}
	return proto.Clone(op.pb), nil
}

// nextVersion returns what a write makes of the stored resource cur:
// patch merged onto it, or (update) body itself, which must not rename it.
func (s *Server) nextVersion(k resKey, cur proto.Message, verb string, patch map[string]any, body []byte) (proto.Message, *apiError) {
	merged := body
	if verb == "patch" {
		current, err := protojson.Marshal(cur)
		if err != nil {
			return nil, &apiError{status: http.StatusInternalServerError, reason: "backendError", domain: "global", msg: err.Error()}
		}
		target, aerr := decodeObject(current)
		if aerr != nil {
			return nil, aerr
		}
		if merged, err = json.Marshal(mergePatch(target, patch)); err != nil {
			return nil, invalidf("Invalid JSON payload received. %v", err)
		}
	}
	next := cur.ProtoReflect().New().Interface()
	if err := protojson.Unmarshal(merged, next); err != nil {
		return nil, invalidf("Invalid JSON payload received. %v", err)
	}
	if n, ok := patch["name"].(string); verb == "update" && ok && n != k.name {
		return nil, invalidf("Invalid value for field 'resource.name': '%s'. The name cannot be changed (it is '%s').", n, k.name)
	}
	return next, nil
}

// runHooks applies the InterleaveWrite mutations due at this PATCH. Caller
// holds s.mu.
func (s *Server) runHooks(k resKey, r *resource) {
	for _, h := range s.hooks {
		if h.key != k || h.nth != r.patches || h.mutate == nil {
			continue
		}
		m := proto.Clone(r.msg)
		h.mutate(m)
		keepServerFields(m, r.msg)
		s.store(k, m)
	}
}

// decodeObject reads a JSON object keeping numbers exact (int64 values
// travel as strings or numbers).
func decodeObject(b []byte) (map[string]any, *apiError) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, invalidf("Invalid JSON payload received. %v", err)
	}
	if dec.More() {
		return nil, invalidf("Invalid JSON payload received. Unexpected data after the JSON object.")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalidf("Invalid JSON payload received. The request body must be a JSON object.")
	}
	return obj, nil
}

// mergePatch applies an RFC 7386 merge patch: objects merge member by
// member, null deletes, anything else (lists included) replaces.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
			continue
		}
		t[k] = mergePatch(t[k], v)
	}
	return t
}

// newOperation records the operation of an accepted write (opType patch or
// update). Caller holds s.mu.
func (s *Server) newOperation(k resKey, opType string, fail *opFailure) *operation {
	s.opSeq++
	name := fmt.Sprintf("operation-%d", s.opSeq)
	var self string
	if k.region == "" {
		self = linkPrefix + s.opts.Project + "/global/operations/" + name
	} else {
		self = linkPrefix + s.opts.Project + "/regions/" + k.region + "/operations/" + name
	}
	target := s.selfLink(k.kind, k.region, k.name)
	now := s.timestamp()
	pb := &computepb.Operation{
		Kind:          proto.String("compute#operation"),
		Id:            proto.Uint64(resourceID(self)),
		Name:          proto.String(name),
		OperationType: proto.String(opType),
		TargetLink:    proto.String(target),
		TargetId:      proto.Uint64(resourceID(target)),
		SelfLink:      proto.String(self),
		InsertTime:    proto.String(now),
		StartTime:     proto.String(now),
		User:          proto.String("fbctl-sim@" + s.opts.Project + ".iam.gserviceaccount.com"),
	}
	if k.region != "" {
		pb.Region = proto.String(s.regionURL(k.region))
	}
	op := &operation{pb: pb, pending: s.opts.PendingPolls, fail: fail}
	// A failing operation always starts RUNNING, so a client that skips
	// polling a DONE answer cannot miss its error.
	if op.pending > 0 || fail != nil {
		pb.Status = computepb.Operation_RUNNING.Enum()
		pb.Progress = proto.Int32(0)
	} else {
		s.finish(op)
	}
	s.ops[opKey{k.region, name}] = op
	return op
}

// finish marks op DONE, with its error if it fails.
func (s *Server) finish(op *operation) {
	op.pb.Status = computepb.Operation_DONE.Enum()
	op.pb.Progress = proto.Int32(100)
	op.pb.EndTime = proto.String(s.timestamp())
	if f := op.fail; f != nil {
		op.pb.HttpErrorStatusCode = proto.Int32(int32(f.status))
		op.pb.HttpErrorMessage = proto.String(strings.ToUpper(http.StatusText(f.status)))
		op.pb.Error = &computepb.Error{Errors: []*computepb.Errors{{
			Code:    proto.String(opErrorCode(f.status)),
			Message: proto.String(f.msg),
		}}}
	}
}

// opErrorCode is the Operation.error code for an HTTP status (our choice:
// codes Compute uses in operation errors).
func opErrorCode(status int) string {
	switch {
	case status == http.StatusForbidden:
		return "QUOTA_EXCEEDED"
	case status == http.StatusNotFound:
		return "RESOURCE_NOT_FOUND"
	case status == http.StatusConflict:
		return "RESOURCE_NOT_READY"
	case status >= 500:
		return "INTERNAL_ERROR"
	}
	return "INVALID_USAGE"
}

// getOperation answers globalOperations.get and regionOperations.get, and
// with wait globalOperations.wait and regionOperations.wait. An operation is
// named by its name or by its numeric id. get advances a RUNNING operation
// by one poll (see Options.PendingPolls); wait returns it DONE at once: the
// emulator never has anything to wait for.
func (s *Server) getOperation(region, name string, wait bool) (proto.Message, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	op := s.ops[opKey{region, name}]
	if op == nil && name != "" && strings.Trim(name, "0123456789") == "" {
		for k, o := range s.ops {
			if k.region == region && strconv.FormatUint(o.pb.GetId(), 10) == name {
				op = o
				break
			}
		}
	}
	if op == nil {
		return nil, notFound(s.resourcePath(resKey{kindOperation, region, name}))
	}
	if op.pb.GetStatus() != computepb.Operation_DONE {
		switch {
		case wait:
			op.pending = 0
			s.finish(op)
		case op.pending > 0:
			op.pending--
		default:
			s.finish(op)
		}
	}
	return proto.Clone(op.pb), nil
}
