// Package s3sim is fbctl's emulator of the part of Amazon S3 the S3 state
// store uses, with path-style addressing (http://HOST/BUCKET/KEY):
// CreateBucket, HeadBucket, PutObject, GetObject, HeadObject, DeleteObject
// and ListObjectsV2.
//
// It follows the documented precondition semantics, and applies each
// check and its write atomically (one mutex over the buckets), which moto
// does not: the state store's race tests need a store whose conditional
// writes really exclude each other.
//   - PutObject with If-None-Match: * fails with 412 PreconditionFailed
//     when the key exists; with If-Match: ETAG, 412 when the current ETag
//     differs and 404 NoSuchKey when there is no object.
//   - DeleteObject with If-Match: ETAG (S3 has honoured it since 2024)
//     fails with 412 when the ETag differs and 404 NoSuchKey when there is
//     no object; without a condition, deleting a missing key succeeds.
//   - GetObject and HeadObject return the ETag (quoted MD5 of the body)
//     and honour If-Match (412) and If-None-Match (304).
//   - ListObjectsV2 lists keys in byte order under a prefix, at most
//     max-keys (default and limit 1000) per page, with continuation tokens
//     and start-after.
//
// Signatures are not verified, but a request without an Authorization
// header is refused, as S3 refuses anonymous writes to a private bucket.
// Request bodies sent with aws-chunked content encoding (the SDKs'
// streaming checksums) are decoded. Options inject latency per request and
// faults (fault.Injector); Calls counts the requests per operation.
package s3sim

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fbctl/fbctl/internal/sim/fault"
	"github.com/fbctl/fbctl/internal/sim/simhttp"
)

// Operation names, as counted by Calls and matched by fault rules.
const (
	OpCreateBucket  = "CreateBucket"
	OpHeadBucket    = "HeadBucket"
	OpListObjectsV2 = "ListObjectsV2"
	OpPutObject     = "PutObject"
	OpGetObject     = "GetObject"
	OpHeadObject    = "HeadObject"
	OpDeleteObject  = "DeleteObject"
)

// Options configures a Server.
type Options struct {
	// Buckets are created empty at New.
	Buckets []string
	// Latency delays every answer by this much (the benchmark's 20 ms of
	// a real region); zero means none.
	Latency time.Duration
	// MaxObjectSize bounds a PutObject body; zero means 16 MiB.
	MaxObjectSize int64
	// Now is the clock of LastModified; nil means time.Now.
	Now func() time.Time
	// Seed drives the fault injector's rate draws.
	Seed int64
}

type object struct {
	data     []byte
	etag     string // quoted, as on the wire
	modified time.Time
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
	s := &Server{opts: opts, faults: fault.New(opts.Seed), buckets: map[string]map[string]*object{}}
	for _, b := range opts.Buckets {
		s.buckets[b] = map[string]*object{}
	}
	return s
}

// Start serves on a free port of 127.0.0.1 and returns the endpoint URL.
func (s *Server) Start() (string, error) { return s.srv.Start("s3sim", s) }

// URL returns the endpoint URL, "" before Start.
func (s *Server) URL() string { return s.srv.URL() }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Faults returns the fault injector: Throttle answers 503 SlowDown,
// ServerError 500 InternalError, Latency delays the answer.
func (s *Server) Faults() *fault.Injector { return s.faults }

// Calls returns the number of requests per operation, refused ones
// included.
func (s *Server) Calls() map[string]int { return s.calls.Counts() }

// ResetCalls zeroes the counts.
func (s *Server) ResetCalls() { s.calls.Reset() }

// PutRaw stores data under bucket/key unconditionally, bypassing the API:
// tests plant objects no client wrote. The bucket is created if missing.
func (s *Server) PutRaw(bucket, key string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets[bucket] == nil {
		s.buckets[bucket] = map[string]*object{}
	}
	s.buckets[bucket][key] = s.newObject(data)
}

// Keys returns the keys of bucket in order.
func (s *Server) Keys(bucket string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for k := range s.buckets[bucket] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (s *Server) newObject(data []byte) *object {
	sum := md5.Sum(data)
	return &object{data: bytes.Clone(data), etag: `"` + hex.EncodeToString(sum[:]) + `"`,
		modified: s.opts.Now().UTC().Truncate(time.Second)}
}

type s3Error struct {
	status    int
	code      string
	message   string
	condition string
}

func errf(status int, code, format string, a ...any) *s3Error {
	return &s3Error{status: status, code: code, message: fmt.Sprintf(format, a...)}
}

func preconditionFailed(cond string) *s3Error {
	return &s3Error{status: http.StatusPreconditionFailed, code: "PreconditionFailed",
		message: "At least one of the pre-conditions you specified did not hold", condition: cond}
}

func noSuchKey(key string) *s3Error {
	return errf(http.StatusNotFound, "NoSuchKey", "The specified key does not exist: %s", key)
}

func noSuchBucket(b string) *s3Error {
	return errf(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist: %s", b)
}

// route maps a path-style request to its operation, bucket and key.
func route(r *http.Request) (op, bucket, key string, ok bool) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, hasKey := strings.Cut(path, "/")
	if bucket == "" {
		return "", "", "", false
	}
	if !hasKey || key == "" {
		switch r.Method {
		case http.MethodPut:
			return OpCreateBucket, bucket, "", true
		case http.MethodHead:
			return OpHeadBucket, bucket, "", true
		case http.MethodGet:
			if r.URL.Query().Get("list-type") == "2" {
				return OpListObjectsV2, bucket, "", true
			}
		}
		return "", "", "", false
	}
	switch r.Method {
	case http.MethodPut:
		if r.Header.Get("x-amz-copy-source") != "" || r.URL.Query().Has("partNumber") {
			return "", "", "", false
		}
		return OpPutObject, bucket, key, true
	case http.MethodGet:
		return OpGetObject, bucket, key, true
	case http.MethodHead:
		return OpHeadObject, bucket, key, true
	case http.MethodDelete:
		return OpDeleteObject, bucket, key, true
	}
	return "", "", "", false
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := fmt.Sprintf("%016X", s.seq.Add(1))
	w.Header().Set("x-amz-request-id", reqID)
	op, bucket, key, ok := route(r)
	if !ok {
		s.writeError(w, r, reqID, errf(http.StatusNotImplemented, "NotImplemented",
			"the fbctl S3 emulator does not implement %s %s", r.Method, r.URL.Path))
		return
	}
	s.calls.Add(op)
	if r.Header.Get("Authorization") == "" {
		s.writeError(w, r, reqID, errf(http.StatusForbidden, "AccessDenied", "Access Denied"))
		return
	}
	delay := s.opts.Latency
	rule, extra := s.faults.Next(op)
	if delay+extra > 0 && !s.srv.Hold(r, delay+extra) {
		return // the client is gone, or the server closed
	}
	if rule != nil {
		if rule.Kind == fault.Throttle || rule.Kind == fault.TooManyRequests {
			s.writeError(w, r, reqID, errf(http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate."))
		} else {
			s.writeError(w, r, reqID, errf(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again."))
		}
		return
	}
	var err *s3Error
	switch op {
	case OpCreateBucket:
		err = s.createBucket(w, bucket)
	case OpHeadBucket:
		err = s.headBucket(w, bucket)
	case OpListObjectsV2:
		err = s.list(w, r, bucket)
	case OpPutObject:
		err = s.put(w, r, bucket, key)
	case OpGetObject, OpHeadObject:
		err = s.get(w, r, bucket, key, op == OpHeadObject)
	case OpDeleteObject:
		err = s.delete(w, r, bucket, key)
	}
	if err != nil {
		s.writeError(w, r, reqID, err)
	}
}

func (s *Server) createBucket(w http.ResponseWriter, bucket string) *s3Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets[bucket] != nil {
		return errf(http.StatusConflict, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.")
	}
	s.buckets[bucket] = map[string]*object{}
	w.Header().Set("Location", "/"+bucket)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) headBucket(w http.ResponseWriter, bucket string) *s3Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buckets[bucket] == nil {
		return noSuchBucket(bucket)
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

// readBody reads a PutObject body, at most MaxObjectSize bytes, decoding
// aws-chunked content encoding.
func (s *Server) readBody(r *http.Request) ([]byte, *s3Error) {
	limit := s.opts.MaxObjectSize
	raw, err := io.ReadAll(io.LimitReader(r.Body, 2*limit+64<<10))
	if err != nil {
		return nil, errf(http.StatusBadRequest, "IncompleteBody", "reading the body: %v", err)
	}
	chunked := strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") ||
		strings.HasPrefix(r.Header.Get("x-amz-content-sha256"), "STREAMING-")
	if chunked {
		if raw, err = decodeAWSChunked(raw); err != nil {
			return nil, errf(http.StatusBadRequest, "IncompleteBody", "aws-chunked body: %v", err)
		}
		if dl := r.Header.Get("x-amz-decoded-content-length"); dl != "" && dl != strconv.Itoa(len(raw)) {
			return nil, errf(http.StatusBadRequest, "IncompleteBody", "decoded length %d, header says %s", len(raw), dl)
		}
	}
	if int64(len(raw)) > limit {
		return nil, errf(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size (%d bytes)", limit)
	}
	return raw, nil
}

// decodeAWSChunked decodes "SIZE[;chunk-signature=...]\r\nDATA\r\n"
// chunks up to the zero-size one; trailers (checksums) are ignored.
func decodeAWSChunked(raw []byte) ([]byte, error) {
	br := bufio.NewReader(bytes.NewReader(raw))
	var out []byte
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, errors.New("truncated chunk header")
		}
		sizeHex, _, _ := strings.Cut(strings.TrimRight(line, "\r\n"), ";")
		n, err := strconv.ParseInt(strings.TrimSpace(sizeHex), 16, 64)
		if err != nil || n < 0 || n > int64(len(raw)) {
			return nil, fmt.Errorf("bad chunk size %q", sizeHex)
		}
		if n == 0 {
			return out, nil
		}
		chunk := make([]byte, n)
		if _, err := io.ReadFull(br, chunk); err != nil {
			return nil, errors.New("truncated chunk")
		}
		out = append(out, chunk...)
		if crlf, err := br.ReadString('\n'); err != nil || strings.TrimRight(crlf, "\r\n") != "" {
			return nil, errors.New("chunk not followed by CRLF")
		}
	}
}

func (s *Server) put(w http.ResponseWriter, r *http.Request, bucket, key string) *s3Error {
	body, e := s.readBody(r)
	if e != nil {
		return e
	}
	ifMatch, ifNoneMatch := r.Header.Get("If-Match"), r.Header.Get("If-None-Match")
	if ifNoneMatch != "" && ifNoneMatch != "*" {
		return errf(http.StatusNotImplemented, "NotImplemented", "PutObject supports If-None-Match only with *")
	}
	// The check and the write under one lock: conditional writes are
	// atomic, whatever the number of racing clients.
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucket]
	if b == nil {
		return noSuchBucket(bucket)
	}
	cur := b[key]
	switch {
	case ifNoneMatch == "*" && cur != nil:
		return preconditionFailed("If-None-Match")
	case ifMatch != "" && cur == nil:
		return noSuchKey(key)
	case ifMatch != "" && !etagMatches(ifMatch, cur.etag):
		return preconditionFailed("If-Match")
	}
	obj := s.newObject(body)
	b[key] = obj
	w.Header().Set("ETag", obj.etag)
	w.WriteHeader(http.StatusOK)
	return nil
}

// etagMatches compares an If-Match value (a list, quoted or not, or *)
// with an ETag.
func etagMatches(cond, etag string) bool {
	for _, c := range strings.Split(cond, ",") {
		c = strings.TrimSpace(c)
		if c == "*" || strings.Trim(c, `"`) == strings.Trim(etag, `"`) {
			return true
		}
	}
	return false
}

func (s *Server) get(w http.ResponseWriter, r *http.Request, bucket, key string, head bool) *s3Error {
	s.mu.Lock()
	b := s.buckets[bucket]
	var obj *object
	if b != nil {
		obj = b[key]
	}
	s.mu.Unlock()
	switch {
	case b == nil:
		return noSuchBucket(bucket)
	case obj == nil:
		return noSuchKey(key)
	}
	if im := r.Header.Get("If-Match"); im != "" && !etagMatches(im, obj.etag) {
		return preconditionFailed("If-Match")
	}
	h := w.Header()
	h.Set("ETag", obj.etag)
	h.Set("Last-Modified", obj.modified.Format(http.TimeFormat))
	if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, obj.etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", "binary/octet-stream")
	h.Set("Content-Length", strconv.Itoa(len(obj.data)))
	w.WriteHeader(http.StatusOK)
	if !head {
		w.Write(obj.data) //nolint:errcheck // the client may be gone
	}
	return nil
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request, bucket, key string) *s3Error {
	ifMatch := r.Header.Get("If-Match")
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[bucket]
	if b == nil {
		return noSuchBucket(bucket)
	}
	cur := b[key]
	if ifMatch != "" {
		if cur == nil {
			return noSuchKey(key)
		}
		if !etagMatches(ifMatch, cur.etag) {
			return preconditionFailed("If-Match")
		}
	}
	delete(b, key)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type listResult struct {
	XMLName               xml.Name       `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	StartAfter            string         `xml:"StartAfter,omitempty"`
	ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	KeyCount              int            `xml:"KeyCount"`
	MaxKeys               int            `xml:"MaxKeys"`
	Delimiter             string         `xml:"Delimiter,omitempty"`
	IsTruncated           bool           `xml:"IsTruncated"`
	Contents              []listedEntry  `xml:"Contents"`
	CommonPrefixes        []commonPrefix `xml:"CommonPrefixes"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

type listedEntry struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int    `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, bucket string) *s3Error {
	q := r.URL.Query()
	delim := q.Get("delimiter")
	maxKeys := 1000
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return errf(http.StatusBadRequest, "InvalidArgument", "max-keys must be a non-negative integer")
		}
		maxKeys = min(n, 1000)
	}
	prefix, after := q.Get("prefix"), q.Get("start-after")
	token := q.Get("continuation-token")
	if token != "" {
		k, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return errf(http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect")
		}
		after = string(k)
	}
	s.mu.Lock()
	b := s.buckets[bucket]
	if b == nil {
		s.mu.Unlock()
		return noSuchBucket(bucket)
	}
	var keys []string
	for k := range b {
		if strings.HasPrefix(k, prefix) && k > after {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	// With a delimiter, the keys that hold it after the prefix roll up
	// into one common prefix each, listed in key order among the objects
	// and counted against max-keys like them; a page that ended on a
	// common prefix goes on after every key below it.
	type item struct {
		key string
		dir bool
	}
	var items []item
	for _, k := range keys {
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if strings.HasPrefix(after, cp) || len(items) > 0 && items[len(items)-1].key == cp {
					continue
				}
				items = append(items, item{cp, true})
				continue
			}
		}
		items = append(items, item{k, false})
	}
	res := listResult{Name: bucket, Prefix: prefix, StartAfter: q.Get("start-after"), ContinuationToken: token, MaxKeys: maxKeys, Delimiter: delim}
	if len(items) > maxKeys {
		items = items[:maxKeys]
		res.IsTruncated = true
		if maxKeys > 0 {
			res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(items[len(items)-1].key))
		}
	}
	for _, it := range items {
		if it.dir {
			res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: it.key})
			continue
		}
		o := b[it.key]
		res.Contents = append(res.Contents, listedEntry{Key: it.key, LastModified: o.modified.Format("2006-01-02T15:04:05.000Z"),
			ETag: o.etag, Size: len(o.data), StorageClass: "STANDARD"})
	}
	s.mu.Unlock()
	res.KeyCount = len(res.Contents) + len(res.CommonPrefixes)
	writeXML(w, http.StatusOK, res)
	return nil
}

func writeXML(w http.ResponseWriter, status int, v any) {
	body, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	io.WriteString(w, xml.Header) //nolint:errcheck // the client may be gone
	w.Write(body)                 //nolint:errcheck
}

type errorBody struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Condition string   `xml:"Condition,omitempty"`
	Resource  string   `xml:"Resource"`
	RequestID string   `xml:"RequestId"`
}

// writeError answers in S3's error form; a HEAD answer has no body, so
// clients see only the status there, as with S3.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, reqID string, e *s3Error) {
	if r.Method == http.MethodHead {
		w.WriteHeader(e.status)
		return
	}
	writeXML(w, e.status, errorBody{Code: e.code, Message: e.message, Condition: e.condition, Resource: r.URL.Path, RequestID: reqID})
}
