// Package gcssim is fbctl's emulator of the part of the Google Cloud
// Storage JSON API that the GCS state store (and gcloud storage, for the
// independent check) uses, as google.golang.org/api/storage/v1 calls it:
//
//	GET    /storage/v1/b/B                         buckets.get
//	GET    /storage/v1/b/B/o                       objects.list (prefix, delimiter, pageToken, maxResults, startOffset, endOffset)
//	GET    /storage/v1/b/B/o/OBJ                   objects.get (metadata)
//	GET    /storage/v1/b/B/o/OBJ?alt=media         objects.get (media; also under /download/storage/v1/)
//	DELETE /storage/v1/b/B/o/OBJ                   objects.delete
//	POST   /upload/storage/v1/b/B/o?uploadType=multipart|media[&name=OBJ]   objects.insert
//
// Object names in paths are URL-decoded as GCS does ("a%2Fb" is "a/b").
// Generations are strictly increasing (microseconds of the injected
// clock, or one more than the last one handed out); metageneration is
// always 1, as nothing here patches metadata.
//
// Preconditions follow the documented semantics, each check and its write
// applied atomically (one mutex over the buckets), so racing conditional
// writes really exclude each other:
//   - ifGenerationMatch=0: there must be no live object; ifGenerationMatch=N:
//     the live object's generation must be N. ifGenerationNotMatch=N: it
//     must not be N (0: there must be an object). Likewise
//     ifMetagenerationMatch and ifMetagenerationNotMatch.
//   - A failed condition is 412 conditionNotMet on insert and delete; on
//     get, a failed ...NotMatch condition is 304 Not Modified, as GCS
//     answers. get and delete of a missing object are 404 notFound whatever
//     the condition.
//
// Errors are in the JSON API's shape ({"error":{"code","message","errors":
// [{"domain","reason","message"}]}}), which googleapi.Error decodes.
// Requests need no credentials (fbctl's GCP clients send none to an
// endpoint_url). Bodies are bounded (Options.MaxObjectSize); latency and
// faults are injected (fault.Injector); Calls counts requests per
// operation.
//
// Why not fake-gcs-server (github.com/fsouza/fake-gcs-server v1.56.1):
// it would add 228 modules and 474 non-standard packages to the test
// build (about 100 s of cold compile on two cores), and its deletes ignore
// ifGenerationMatch, so a former lock holder's unlock removes its
// successor's lock: the GCS store, run against it out of tree, fails the
// conformance suite's three cases that check exactly that
// (LockTakeoverOfExpired, UnlockOfAnothersRefused, LockLostOnTakeover)
// and passes the others.
package gcssim

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/fbctl/fbctl/internal/sim/fault"
	"github.com/fbctl/fbctl/internal/sim/simhttp"
)

// Operation names (the JSON API's method names), as counted by Calls and
// matched by fault rules.
const (
	OpBucketsGet    = "buckets.get"
	OpObjectsList   = "objects.list"
	OpObjectsGet    = "objects.get"
	OpObjectsInsert = "objects.insert"
	OpObjectsDelete = "objects.delete"
)

// Options configures a Server.
type Options struct {
	// Buckets are created empty at New.
	Buckets []string
	// Latency delays every answer by this much; zero means none.
	Latency time.Duration
	// MaxObjectSize bounds an uploaded object; zero means 16 MiB.
	MaxObjectSize int64
	// Now is the clock of generations and timestamps; nil means time.Now.
	Now func() time.Time
	// Seed drives the fault injector's rate draws.
	Seed int64
	// PageSize caps the entries of one listing page below GCS's 1000,
	// so that tests page through small listings; zero means 1000.
	PageSize int
}

// maxMetadata bounds the JSON metadata part of a multipart upload.
const maxMetadata = 64 << 10

// maxListResults is GCS's limit (and default) for maxResults.
const maxListResults = 1000

type object struct {
	data        []byte
	generation  int64
	contentType string
	created     time.Time
}

// Server is the emulator; it is an http.Handler, and Start serves it on
// loopback. Safe for concurrent use.
type Server struct {
	opts   Options
	srv    simhttp.Loopback
	calls  simhttp.Calls
	faults *fault.Injector
	seq    atomic.Uint64

	mu      sync.Mutex
	lastGen int64
	buckets map[string]map[string]*object
}

// New returns a server holding opts.Buckets, empty.
func New(opts Options) *Server {
	if opts.MaxObjectSize <= 0 {
		opts.MaxObjectSize = 16 << 20
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PageSize <= 0 || opts.PageSize > maxListResults {
		opts.PageSize = maxListResults
	}
	s := &Server{opts: opts, faults: fault.New(opts.Seed), buckets: map[string]map[string]*object{}}
	for _, b := range opts.Buckets {
		s.buckets[b] = map[string]*object{}
	}
	return s
}

// Start serves on a free port of 127.0.0.1 and returns the base URL
// (http://127.0.0.1:PORT); clients take URL+"/storage/v1/" as endpoint.
func (s *Server) Start() (string, error) { return s.srv.Start("gcssim", s) }

// URL returns the base URL, "" before Start.
func (s *Server) URL() string { return s.srv.URL() }

// Endpoint returns the JSON API endpoint for option.WithEndpoint and
// endpoint_url: URL()+"/storage/v1/".
func (s *Server) Endpoint() string { return s.srv.URL() + "/storage/v1/" }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Faults returns the fault injector: Throttle and TooManyRequests answer
// 429 rateLimitExceeded, RateLimitExceeded 403 rateLimitExceeded, other
// kinds 503 backendError; Latency delays the answer.
func (s *Server) Faults() *fault.Injector { return s.faults }

// Calls returns the number of requests per operation, refused ones
// included.
func (s *Server) Calls() map[string]int { return s.calls.Counts() }

// ResetCalls zeroes the counts.
func (s *Server) ResetCalls() { s.calls.Reset() }

// PutRaw stores data under bucket/name unconditionally, bypassing the
// API, and returns its generation: tests plant objects no client wrote.
// The bucket is created if missing.
func (s *Server) PutRaw(bucket, name string, data []byte) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets[bucket] == nil {
		s.buckets[bucket] = map[string]*object{}
	}
	o := s.newObjectLocked(data, "application/octet-stream")
	s.buckets[bucket][name] = o
	return o.generation
}

// Names returns the object names of bucket in order.
func (s *Server) Names(bucket string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for k := range s.buckets[bucket] {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// newObjectLocked makes an object with the next generation; s.mu is held.
func (s *Server) newObjectLocked(data []byte, contentType string) *object {
	now := s.opts.Now().UTC()
	gen := max(now.UnixMicro(), s.lastGen+1)
	s.lastGen = gen
	return &object{data: bytes.Clone(data), generation: gen, contentType: contentType, created: now}
}

// apiError is an error answer of the JSON API.
type apiError struct {
	status   int
	reason   string
	message  string
	location string
}

func errf(status int, reason, format string, a ...any) *apiError {
	return &apiError{status: status, reason: reason, message: fmt.Sprintf(format, a...)}
}

func conditionNotMet(param string) *apiError {
	return &apiError{status: http.StatusPreconditionFailed, reason: "conditionNotMet",
		message: "At least one of the pre-conditions you specified did not hold.", location: param}
}

func noSuchObject(bucket, name string) *apiError {
	return errf(http.StatusNotFound, "notFound", "No such object: %s/%s", bucket, name)
}

func noSuchBucket(string) *apiError {
	return errf(http.StatusNotFound, "notFound", "The specified bucket does not exist.")
}

// errNotModified is the 304 of a get whose ...NotMatch condition failed.
var errNotModified = &apiError{status: http.StatusNotModified}

type route struct {
	op, bucket, name string
	media            bool // alt=media, or the upload path
}

// parseRoute maps a request to its operation. The path is split on its
// escaped form, so that a "%2F" inside an object name does not end the
// bucket, then each part is decoded.
func parseRoute(r *http.Request) (route, *apiError) {
	p := r.URL.EscapedPath()
	var rest string
	upload, download := false, false
	switch {
	case strings.HasPrefix(p, "/storage/v1/b/"):
		rest = strings.TrimPrefix(p, "/storage/v1/b/")
	case strings.HasPrefix(p, "/upload/storage/v1/b/"):
		rest, upload = strings.TrimPrefix(p, "/upload/storage/v1/b/"), true
	case strings.HasPrefix(p, "/download/storage/v1/b/"):
		rest, download = strings.TrimPrefix(p, "/download/storage/v1/b/"), true
	default:
		return route{}, errf(http.StatusNotFound, "notFound", "Not Found")
	}
	rawBucket, after, hasAfter := strings.Cut(rest, "/")
	bucket, err := url.PathUnescape(rawBucket)
	if err != nil || bucket == "" {
		return route{}, errf(http.StatusBadRequest, "invalid", "Invalid bucket name")
	}
	q := r.URL.Query()
	switch {
	case !hasAfter && !upload && !download && r.Method == http.MethodGet:
		return route{op: OpBucketsGet, bucket: bucket}, nil
	case after == "o" && upload && r.Method == http.MethodPost:
		return route{op: OpObjectsInsert, bucket: bucket, media: true}, nil
	case after == "o" && !upload && !download && r.Method == http.MethodGet:
		return route{op: OpObjectsList, bucket: bucket}, nil
	case after == "o" && !upload && !download && r.Method == http.MethodPost:
		return route{}, errf(http.StatusNotImplemented, "notImplemented", "the fbctl GCS emulator takes objects only by upload (/upload/storage/v1/...)")
	case strings.HasPrefix(after, "o/") && !upload:
		name, err := url.PathUnescape(strings.TrimPrefix(after, "o/"))
		if err != nil || name == "" {
			return route{}, errf(http.StatusBadRequest, "invalid", "Invalid object name")
		}
		switch r.Method {
		case http.MethodGet:
			return route{op: OpObjectsGet, bucket: bucket, name: name, media: download || q.Get("alt") == "media"}, nil
		case http.MethodDelete:
			if !download {
				return route{op: OpObjectsDelete, bucket: bucket, name: name}, nil
			}
		}
	}
	return route{}, errf(http.StatusNotImplemented, "notImplemented", "the fbctl GCS emulator does not implement %s %s", r.Method, r.URL.Path)
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-GUploader-UploadID", fmt.Sprintf("gcssim-%016X", s.seq.Add(1)))
	rt, e := parseRoute(r)
	if e != nil {
		s.writeError(w, r, e)
		return
	}
	s.calls.Add(rt.op)
	delay := s.opts.Latency
	rule, extra := s.faults.Next(rt.op)
	if delay+extra > 0 && !s.srv.Hold(r, delay+extra) {
		return // the client is gone, or the server closed
	}
	if rule != nil {
		switch rule.Kind {
		case fault.Throttle, fault.TooManyRequests:
			e = errf(http.StatusTooManyRequests, "rateLimitExceeded", "The rate of change requests to the object is too high.")
		case fault.RateLimitExceeded:
			e = errf(http.StatusForbidden, "rateLimitExceeded", "Rate Limit Exceeded")
		default:
			e = errf(http.StatusServiceUnavailable, "backendError", "Backend Error")
		}
		s.writeError(w, r, e)
		return
	}
	conds, e := parseConditions(r.URL.Query())
	if e == nil {
		switch rt.op {
		case OpBucketsGet:
			e = s.getBucket(w, rt.bucket)
		case OpObjectsList:
			e = s.list(w, r, rt.bucket)
		case OpObjectsGet:
			e = s.get(w, r, rt, conds)
		case OpObjectsInsert:
			e = s.insert(w, r, rt.bucket, conds)
		case OpObjectsDelete:
			e = s.delete(w, rt, conds)
		}
	}
	if e != nil {
		s.writeError(w, r, e)
	}
}

// conditions are the precondition parameters of a request; nil is absent.
type conditions struct {
	genMatch, genNotMatch, metaMatch, metaNotMatch, generation *int64
}

func parseConditions(q url.Values) (conditions, *apiError) {
	var c conditions
	for _, p := range []struct {
		name string
		dst  **int64
	}{
		{"ifGenerationMatch", &c.genMatch}, {"ifGenerationNotMatch", &c.genNotMatch},
		{"ifMetagenerationMatch", &c.metaMatch}, {"ifMetagenerationNotMatch", &c.metaNotMatch},
		{"generation", &c.generation},
	} {
		vs, ok := q[p.name]
		if !ok {
			continue
		}
		if len(vs) != 1 {
			return c, errf(http.StatusBadRequest, "invalid", "Invalid argument: %s given %d times", p.name, len(vs))
		}
		n, err := strconv.ParseInt(vs[0], 10, 64)
		if err != nil || n < 0 {
			return c, errf(http.StatusBadRequest, "invalid", "Invalid argument for %s: must be a non-negative integer", p.name)
		}
		*p.dst = &n
	}
	return c, nil
}

// check applies the conditions to cur (nil: no object). notModified turns
// a failed ...NotMatch condition into 304, as on get.
func (c conditions) check(cur *object, notModified bool) *apiError {
	gen, meta := int64(0), int64(0)
	if cur != nil {
		gen, meta = cur.generation, 1
	}
	if c.genMatch != nil && *c.genMatch != gen {
		return conditionNotMet("If-Match")
	}
	if c.metaMatch != nil && (cur == nil || *c.metaMatch != meta) {
		return conditionNotMet("If-Metageneration-Match")
	}
	if c.genNotMatch != nil && *c.genNotMatch == gen {
		if notModified && cur != nil {
			return errNotModified
		}
		return conditionNotMet("If-None-Match")
	}
	if c.metaNotMatch != nil && (cur == nil || *c.metaNotMatch == meta) {
		if notModified && cur != nil {
			return errNotModified
		}
		return conditionNotMet("If-Metageneration-Not-Match")
	}
	return nil
}

func (s *Server) getBucket(w http.ResponseWriter, bucket string) *apiError {
	s.mu.Lock()
	ok := s.buckets[bucket] != nil
	s.mu.Unlock()
	if !ok {
		return noSuchBucket(bucket)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"kind": "storage#bucket", "id": bucket, "name": bucket, "location": "US", "storageClass": "STANDARD",
		"metageneration": "1", "projectNumber": "0", "timeCreated": "2024-01-01T00:00:00.000Z",
	})
	return nil
}

// lookup returns the object of a get or delete: 404 when the bucket or the
// object (or the asked generation) is missing. s.mu is held.
func (s *Server) lookupLocked(rt route, c conditions) (map[string]*object, *object, *apiError) {
	b := s.buckets[rt.bucket]
	if b == nil {
		return nil, nil, noSuchBucket(rt.bucket)
	}
	cur := b[rt.name]
	if cur == nil || (c.generation != nil && *c.generation != cur.generation) {
		return nil, nil, noSuchObject(rt.bucket, rt.name)
	}
	return b, cur, nil
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, rt route, c conditions) *apiError {
	s.mu.Lock()
	_, cur, e := s.lookupLocked(rt, c)
	if e == nil {
		e = c.check(cur, true)
	}
	s.mu.Unlock()
	if e != nil {
		return e
	}
	h := w.Header()
	h.Set("X-Goog-Generation", strconv.FormatInt(cur.generation, 10))
	h.Set("X-Goog-Metageneration", "1")
	h.Set("ETag", etag(cur))
	if !rt.media {
		writeJSON(w, http.StatusOK, s.resource(rt.bucket, rt.name, cur))
		return nil
	}
	h.Set("X-Goog-Stored-Content-Length", strconv.Itoa(len(cur.data)))
	h.Set("X-Goog-Stored-Content-Encoding", "identity")
	h.Set("X-Goog-Hash", "crc32c="+crc32cOf(cur.data)+",md5="+md5Of(cur.data))
	h.Set("Last-Modified", cur.created.Format(http.TimeFormat))
	h.Set("Content-Type", cur.contentType)
	h.Set("Content-Length", strconv.Itoa(len(cur.data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(cur.data) //nolint:errcheck // the client may be gone
	}
	return nil
}

func (s *Server) delete(w http.ResponseWriter, rt route, c conditions) *apiError {
	// The check and the removal under one lock.
	s.mu.Lock()
	defer s.mu.Unlock()
	b, cur, e := s.lookupLocked(rt, c)
	if e != nil {
		return e
	}
	if e := c.check(cur, false); e != nil {
		return e
	}
	delete(b, rt.name)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkName applies GCS's object naming rules.
func checkName(name string) *apiError {
	switch {
	case name == "":
		return errf(http.StatusBadRequest, "required", "Required")
	case len(name) > 1024 || !utf8.ValidString(name) || strings.ContainsAny(name, "\r\n") || name == "." || name == "..":
		return errf(http.StatusBadRequest, "invalid", "The specified object name is not valid.")
	}
	return nil
}

// metadata is the object resource a multipart upload sends first.
type metadata struct {
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Crc32c      string `json:"crc32c"`
	MD5Hash     string `json:"md5Hash"`
}

// readUpload reads the object of an insert: uploadType=media (the body,
// named by ?name=) or multipart (JSON metadata, then the media), bounded.
func (s *Server) readUpload(r *http.Request) (metadata, []byte, *apiError) {
	var md metadata
	limit := s.opts.MaxObjectSize
	raw, err := io.ReadAll(io.LimitReader(r.Body, limit+maxMetadata+1))
	if err != nil {
		return md, nil, errf(http.StatusBadRequest, "invalid", "reading the body: %v", err)
	}
	if int64(len(raw)) > limit+maxMetadata {
		return md, nil, errf(http.StatusRequestEntityTooLarge, "uploadTooLarge", "the object is larger than %d bytes", limit)
	}
	q := r.URL.Query()
	var data []byte
	switch q.Get("uploadType") {
	case "media":
		data = raw
		md.ContentType = r.Header.Get("Content-Type")
	case "multipart":
		boundary := multipartBoundary(r.Header.Get("Content-Type"))
		if boundary == "" {
			return md, nil, errf(http.StatusBadRequest, "invalid", "a multipart upload needs a multipart/related Content-Type with a boundary")
		}
		mr := multipart.NewReader(bytes.NewReader(raw), boundary)
		part, err := mr.NextPart()
		if err != nil {
			return md, nil, errf(http.StatusBadRequest, "invalid", "multipart upload: no metadata part")
		}
		mdRaw, err := io.ReadAll(io.LimitReader(part, maxMetadata+1))
		if err != nil || len(mdRaw) > maxMetadata {
			return md, nil, errf(http.StatusBadRequest, "invalid", "multipart upload: unreadable or oversized metadata part")
		}
		if json.Unmarshal(mdRaw, &md) != nil {
			return md, nil, errf(http.StatusBadRequest, "parseError", "Parse Error")
		}
		part, err = mr.NextPart()
		if err != nil {
			return md, nil, errf(http.StatusBadRequest, "invalid", "multipart upload: no media part")
		}
		if data, err = io.ReadAll(io.LimitReader(part, limit+1)); err != nil {
			return md, nil, errf(http.StatusBadRequest, "invalid", "multipart upload: unreadable media part")
		}
		if ct := part.Header.Get("Content-Type"); md.ContentType == "" {
			md.ContentType = ct
		}
	case "resumable":
		return md, nil, errf(http.StatusNotImplemented, "notImplemented", "the fbctl GCS emulator does not implement resumable uploads")
	default:
		return md, nil, errf(http.StatusBadRequest, "invalid", "uploadType must be media or multipart")
	}
	if int64(len(data)) > limit {
		return md, nil, errf(http.StatusRequestEntityTooLarge, "uploadTooLarge", "the object is larger than %d bytes", limit)
	}
	if n := q.Get("name"); n != "" {
		if md.Name != "" && md.Name != n {
			return md, nil, errf(http.StatusBadRequest, "invalid", "the name parameter and the metadata's name differ")
		}
		md.Name = n
	}
	if md.Crc32c != "" && md.Crc32c != crc32cOf(data) {
		return md, nil, errf(http.StatusBadRequest, "invalid", "Provided CRC32C %q doesn't match calculated CRC32C %q.", md.Crc32c, crc32cOf(data))
	}
	if md.MD5Hash != "" && md.MD5Hash != md5Of(data) {
		return md, nil, errf(http.StatusBadRequest, "invalid", "Provided MD5 hash %q doesn't match calculated MD5 hash %q.", md.MD5Hash, md5Of(data))
	}
	if md.ContentType == "" {
		md.ContentType = "application/octet-stream"
	}
	return md, data, checkName(md.Name)
}

// multipartBoundary returns the boundary of a multipart Content-Type, ""
// when there is none. gcloud (apitools, through Python's email package)
// quotes it with single quotes, boundary='===...==', which RFC 2045 does
// not allow and mime.ParseMediaType refuses, but GCS accepts: so does
// this emulator.
func multipartBoundary(ct string) string {
	mt, params, err := mime.ParseMediaType(ct)
	if err == nil {
		if !strings.HasPrefix(mt, "multipart/") {
			return ""
		}
		return params["boundary"]
	}
	mt, rest, _ := strings.Cut(ct, ";")
	if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(mt)), "multipart/") {
		return ""
	}
	for _, p := range strings.Split(rest, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(k, "boundary") {
			continue
		}
		if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		if len(v) > 70 {
			return "" // RFC 2046: at most 70 characters
		}
		return v
	}
	return ""
}

func (s *Server) insert(w http.ResponseWriter, r *http.Request, bucket string, c conditions) *apiError {
	md, data, e := s.readUpload(r)
	if e != nil {
		return e
	}
	if c.generation != nil {
		return errf(http.StatusBadRequest, "invalid", "generation is not a parameter of objects.insert")
	}
	// The check and the write under one lock: conditional writes are
	// atomic, whatever the number of racing clients.
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucket]
	if b == nil {
		return noSuchBucket(bucket)
	}
	if e := c.check(b[md.Name], false); e != nil {
		return e
	}
	obj := s.newObjectLocked(data, md.ContentType)
	b[md.Name] = obj
	writeJSON(w, http.StatusOK, s.resource(bucket, md.Name, obj))
	return nil
}

// pageToken encodes where a listing goes on: after name, and past every
// name under it when it was a prefix.
func pageToken(name string, prefix bool) string {
	kind := "o"
	if prefix {
		kind = "p"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(kind + name))
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, bucket string) *apiError {
	q := r.URL.Query()
	maxResults := s.opts.PageSize
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errf(http.StatusBadRequest, "invalid", "Invalid argument for maxResults: must be a positive integer")
		}
		maxResults = min(n, maxResults)
	}
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	startOffset, endOffset := q.Get("startOffset"), q.Get("endOffset")
	after, afterPrefix := "", false
	if tok := q.Get("pageToken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) == 0 || (raw[0] != 'o' && raw[0] != 'p') {
			return errf(http.StatusBadRequest, "invalid", "Invalid page token")
		}
		after, afterPrefix = string(raw[1:]), raw[0] == 'p'
	}
	s.mu.Lock()
	b := s.buckets[bucket]
	if b == nil {
		s.mu.Unlock()
		return noSuchBucket(bucket)
	}
	names := make([]string, 0, len(b))
	for k := range b {
		names = append(names, k)
	}
	sort.Strings(names)
	type item = map[string]any
	items, prefixes := []item{}, []string{}
	next := ""
	n := 0
	for _, k := range names {
		switch {
		case !strings.HasPrefix(k, prefix), k < startOffset, endOffset != "" && k >= endOffset:
			continue
		case after != "" && (k <= after || (afterPrefix && strings.HasPrefix(k, after))):
			continue
		}
		isPrefix, entry := false, k
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				isPrefix, entry = true, k[:len(prefix)+i+len(delim)]
			}
		}
		if isPrefix && len(prefixes) > 0 && prefixes[len(prefixes)-1] == entry {
			continue
		}
		if n == maxResults {
			next = pageToken(after, afterPrefix)
			break
		}
		n++
		after, afterPrefix = entry, isPrefix
		if isPrefix {
			prefixes = append(prefixes, entry)
		} else {
			items = append(items, s.resource(bucket, k, b[k]))
		}
	}
	s.mu.Unlock()
	res := map[string]any{"kind": "storage#objects"}
	if len(items) > 0 {
		res["items"] = items
	}
	if len(prefixes) > 0 {
		res["prefixes"] = prefixes
	}
	if next != "" {
		res["nextPageToken"] = next
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

func etag(o *object) string {
	// GCS's ETag is opaque; this one changes with the generation.
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint64(nil, uint64(o.generation)))
}

func crc32cOf(data []byte) string {
	sum := crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, sum))
}

func md5Of(data []byte) string {
	sum := md5.Sum(data)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// resource is the JSON object resource.
func (s *Server) resource(bucket, name string, o *object) map[string]any {
	gen := strconv.FormatInt(o.generation, 10)
	esc := url.PathEscape(name)
	ts := o.created.Format("2006-01-02T15:04:05.000Z")
	return map[string]any{
		"kind": "storage#object", "id": bucket + "/" + name + "/" + gen,
		"selfLink":  s.srv.URL() + "/storage/v1/b/" + bucket + "/o/" + esc,
		"mediaLink": s.srv.URL() + "/download/storage/v1/b/" + bucket + "/o/" + esc + "?generation=" + gen + "&alt=media",
		"name":      name, "bucket": bucket, "generation": gen, "metageneration": "1",
		"contentType": o.contentType, "storageClass": "STANDARD", "size": strconv.Itoa(len(o.data)),
		"md5Hash": md5Of(o.data), "crc32c": crc32cOf(o.data), "etag": etag(o),
		"timeCreated": ts, "updated": ts, "timeStorageClassUpdated": ts,
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		body, status = []byte(`{"error":{"code":500,"message":"encoding the answer"}}`), http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body) //nolint:errcheck // the client may be gone
}

type errorItem struct {
	Domain       string `json:"domain"`
	Reason       string `json:"reason"`
	Message      string `json:"message"`
	LocationType string `json:"locationType,omitempty"`
	Location     string `json:"location,omitempty"`
}

type errorBody struct {
	Error struct {
		Code    int         `json:"code"`
		Message string      `json:"message"`
		Errors  []errorItem `json:"errors"`
	} `json:"error"`
}

// writeError answers in the JSON API's error shape; a 304 has no body.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, e *apiError) {
	if e.status == http.StatusNotModified {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	var b errorBody
	b.Error.Code, b.Error.Message = e.status, e.message
	it := errorItem{Domain: "global", Reason: e.reason, Message: e.message}
	if e.location != "" {
		it.LocationType, it.Location = "header", e.location
	}
	b.Error.Errors = []errorItem{it}
	if r.Method == http.MethodHead {
		w.WriteHeader(e.status)
		return
	}
	writeJSON(w, e.status, b)
}
