package powerdns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fbctl/fbctl/providers"
)

// Client is a focused client of the PowerDNS Authoritative HTTP API: the
// calls powerdns_weighted needs and no more. Its errors name the server
// and zone, never the key.
type Client struct {
	base     string // api_url without a trailing slash
	key      string
	serverID string
	http     *http.Client
}

// Bounds of what the client reads: a whole zone, and an error body.
const (
	maxZoneBytes  = 64 << 20
	maxErrorBytes = 4 << 10
	callTimeout   = 30 * time.Second
)

// NewClient returns a client of the API at apiURL (http or https).
func NewClient(apiURL, key, serverID string) (*Client, error) {
	if err := providers.CheckURL(apiURL, "http", "https"); err != nil {
		return nil, fmt.Errorf("api_url %s", err)
	}
	if strings.TrimSpace(key) == "" {
		return nil, errors.New("api_key must not be empty")
	}
	if serverID == "" {
		serverID = "localhost"
	}
	return &Client{base: strings.TrimRight(apiURL, "/"), key: key, serverID: serverID,
		http: &http.Client{Timeout: callTimeout}}, nil
}

// RRset is one rrset of a zone as the API shows it.
type RRset struct {
	Name       string    `json:"name"`
	Type       string    `json:"type"`
	TTL        int       `json:"ttl"`
	ChangeType string    `json:"changetype,omitempty"`
	Records    []Record  `json:"records"`
	Comments   []Comment `json:"comments,omitempty"`
}

// Record is one record of an RRset.
type Record struct {
	Content  string `json:"content"`
	Disabled bool   `json:"disabled"`
}

// Comment is a comment of an RRset.
type Comment struct {
	Content    string `json:"content"`
	Account    string `json:"account"`
	ModifiedAt int64  `json:"modified_at"`
}

// Zone is the part of a zone the client reads.
type Zone struct {
	Name   string  `json:"name"`
	RRsets []RRset `json:"rrsets"`
}

// APIError is an answer of the API other than success.
type APIError struct {
	Status int
	Msg    string
}

func (e *APIError) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Msg)
}

func (c *Client) zoneURL(zone string) string {
	return c.base + "/api/v1/servers/" + url.PathEscape(c.serverID) + "/zones/" + url.PathEscape(zone)
}

// Zone reads zone with its rrsets.
func (c *Client) Zone(ctx context.Context, zone string) (*Zone, error) {
	var z Zone
	if err := c.do(ctx, http.MethodGet, c.zoneURL(zone), nil, &z); err != nil {
		return nil, err
	}
	return &z, nil
}

// Patch changes the rrsets of zone (each with its changetype).
func (c *Client) Patch(ctx context.Context, zone string, rrsets []RRset) error {
	body, err := json.Marshal(map[string]any{"rrsets": rrsets})
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPatch, c.zoneURL(zone), body, nil)
}

func (c *Client) do(ctx context.Context, method, u string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return errors.New("cannot build the request")
	}
	req.Header.Set("X-API-Key", c.key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			// Its text repeats the URL; the cause alone is enough.
			return providers.TransientError(fmt.Errorf("%s: %w", strings.ToLower(method), ue.Err))
		}
		return providers.TransientError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBytes))
		e := &APIError{Status: resp.StatusCode, Msg: apiMessage(b)}
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			return providers.TransientError(e)
		}
		return providers.FatalError(e)
	}
	if out == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBytes))
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxZoneBytes+1))
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return providers.TransientError(fmt.Errorf("reading the answer: %w", err))
	}
	if len(b) > maxZoneBytes {
		return fmt.Errorf("the answer is larger than %d MiB", maxZoneBytes>>20)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("the answer is not the JSON expected: %v", err)
	}
	return nil
}

// apiMessage is the "error" of a PowerDNS error body, or its first line,
// shortened.
func apiMessage(b []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	msg := ""
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		msg = e.Error
	} else {
		msg = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
	}
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	return msg
}
