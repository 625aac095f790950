package policy

import (
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/fbctl/fbctl/internal/rollout"
	"github.com/fbctl/fbctl/providers"
)

// Policy is a loaded and validated set of policy files.
type Policy struct {
	Variables map[string]*Variable
	State     *State
	// Providers by address ("aws.prod").
	Providers map[string]*Provider
	// Failbacks in declaration order (files in the order given, blocks in
	// file order).
	Failbacks []*Failback
	// Notify are the notify blocks, in declaration order: where every
	// command reports the events it records.
	Notify []*Notify
	// Schedule is the policy's top-level `schedule`: how often the
	// scheduled runs decide (a cron job's period, fbctl run's longest time
	// between decisions). Evidence freshness derives from it, the same
	// for every command on every machine. Zero when unset.
	Schedule time.Duration
	// ScheduleUnknown is set in ModeState (and ModeValidate) when the
	// schedule depends on a value that was not given.
	ScheduleUnknown bool
}

// MaxSchedule bounds the policy's schedule: evidence stays fresh for two
// schedules, and a day-old probe says nothing about a primary now.
const MaxSchedule = 24 * time.Hour

// Failback returns the named failback, or nil.
func (p *Policy) Failback(name string) *Failback {
	for _, f := range p.Failbacks {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Variable is a declared input variable and the value it resolved to.
type Variable struct {
	Name        string
	Description string
	Type        cty.Type
	Sensitive   bool
	// Value is the resolved value, marked Sensitive when the variable is.
	Value     cty.Value
	DeclRange hcl.Range
}

// State is the state block: where fbctl keeps state between runs.
type State struct {
	Type string // "file", "s3" or "gcs"
	// Path is the directory of the file store, made absolute against the
	// directory of the file that declared it.
	Path string
	// S3 is the bucket of `state "s3"`; nil for the file store.
	S3 *S3State
	// GCS is the bucket of `state "gcs"`; nil for the other stores.
	GCS       *GCSState
	DeclRange hcl.Range
}

// S3State is the body of `state "s3"`. Credentials come from the AWS
// SDK's default chain (with Profile), never from the policy.
type S3State struct {
	Bucket string
	// Prefix is the key prefix of every object ("" for the bucket root).
	Prefix string
	Region string
	// EndpointURL is an S3-compatible endpoint; requests then use
	// path-style addressing.
	EndpointURL string
	Profile     string
	// AssumeRole is an IAM role ARN to assume through STS with the
	// credentials of the default chain.
	AssumeRole string
}

// GCSState is the body of `state "gcs"`. Credentials come as for the gcp
// provider: CredentialsFile, else Application Default Credentials,
// impersonating ImpersonateServiceAccount when set; none with an
// EndpointURL (an emulator).
type GCSState struct {
	Bucket string
	// Prefix is the name prefix of every object ("" for the bucket root).
	Prefix string
	// EndpointURL is an emulator of the JSON API (http://HOST:PORT).
	EndpointURL               string
	CredentialsFile           string
	ImpersonateServiceAccount string
}

// DefaultStatePath is the file store's directory when no state block says
// otherwise, relative to the first policy file's directory.
const DefaultStatePath = ".fbctl"

// Notify is a `notify "webhook" "NAME"` block: a JSON POST of each
// recorded event of the types in Events, to URL, with Headers.
type Notify struct {
	Type string // "webhook"
	Name string
	// URL, Headers: plain text, marks removed. A sensitive value among them
	// is named in URLSensitive and SensitiveHeaders; the loader's Redact
	// knows its text. Neither is ever printed.
	URL              string
	URLSensitive     bool
	Headers          map[string]string
	SensitiveHeaders map[string]bool
	// Events are NotifyEvents (all of them when the block sets none).
	Events  []string
	Format  string // NotifyFormats
	Timeout time.Duration
	// Unknown is set in ModeValidate and ModeState when the URL or a header
	// depends on a value that was not given: the block cannot send.
	Unknown   bool
	DeclRange hcl.Range
}

// NotifyEvents are the events a notify block may ask for: a step forward
// (shift), the rollout reaching 100 % (complete), a rollback or step back,
// a halt, a failed write, and a lock changing hands (lease).
var NotifyEvents = []string{"shift", "rollback", "step_back", "halt", "complete", "apply_failed", "lease"}

// NotifyFormats are the bodies a webhook can get: fbctl's JSON document,
// or a Slack-compatible {"text": ...}.
var NotifyFormats = []string{"json", "slack"}

// DefaultNotifyTimeout bounds one delivery attempt when the block sets no
// timeout; MaxNotifyTimeout bounds the setting.
const (
	DefaultNotifyTimeout = 10 * time.Second
	MaxNotifyTimeout     = 5 * time.Minute
)

// Provider is a provider block.
type Provider struct {
	Type string
	Name string
	// Config is an object with every attribute of the provider type's
	// schema, defaults applied.
	Config    cty.Value
	DeclRange hcl.Range
}

// Addr is the provider's reference address, e.g. "aws.prod".
func (p *Provider) Addr() string { return p.Type + "." + p.Name }

// Side is one side of a failback.
type Side string

const (
	Primary   Side = "primary"
	Secondary Side = "secondary"
)

// Failback is one service's failback policy.
type Failback struct {
	Name        string
	Description string
	// PrimaryName and SecondaryName are the people-facing names of the sides.
	PrimaryName   string
	SecondaryName string
	Checks        []*Check
	// Gates are consulted, in declared order, before each raise of the
	// primary's share, after the decision and before any write.
	Gates     []*Gate
	Targets   []*Target
	Rollout   Rollout
	DeclRange hcl.Range
	// UnknownSettings names the settings of the rollout and the checks
	// (bake, approval, healthy_threshold, of, ...) that depend on a value
	// that was not given, in ModeState (and ModeValidate); the defaults
	// stand in for them and must not be judged on. Empty in ModeRun.
	UnknownSettings []string
}

// Check is a check block.
type Check struct {
	Kind               string
	Name               string
	Of                 Side
	Interval           time.Duration
	Timeout            time.Duration
	HealthyThreshold   int
	UnhealthyThreshold int
	Samples            int
	// EvidenceTTL is zero when unset: the engine derives it.
	EvidenceTTL time.Duration
	// Provider is nil for kinds that need none.
	Provider *Provider
	// Config is an object with every attribute of the kind's schema,
	// defaults applied. It may hold unknown values in ModeValidate.
	Config    cty.Value
	DeclRange hcl.Range
}

// Gate is a `gate "KIND" "NAME"` block: asked yes or no before each
// raise of the primary's share. A gate of a check kind has Check (its
// Of, Interval and thresholds unset: a gate keeps no evidence); a webhook
// gate has Webhook.
type Gate struct {
	Kind      string
	Name      string
	Check     *Check
	Webhook   *GateWebhook
	DeclRange hcl.Range
}

// GateWebhook is the body of `gate "webhook"`: a POST of the proposed move
// to URL, with Headers. Sensitive values are named as in Notify and never
// printed.
type GateWebhook struct {
	URL              string
	URLSensitive     bool
	Headers          map[string]string
	SensitiveHeaders map[string]bool
	Timeout          time.Duration
	// Unknown is set in ModeValidate and ModeState when the URL or a
	// header depends on a value that was not given.
	Unknown bool
}

// DefaultGateTimeout bounds a webhook gate's answer when the block sets
// no timeout; MaxGateTimeout bounds the setting.
const (
	DefaultGateTimeout = 10 * time.Second
	MaxGateTimeout     = 5 * time.Minute
)

// Target is a target block.
type Target struct {
	Kind      string
	Name      string
	Provider  *Provider
	Config    cty.Value
	DeclRange hcl.Range

	// attrRanges are the expression ranges of the attributes set in the
	// block, for diagnostics about the whole policy (overlaps).
	attrRanges map[string]hcl.Range
	// decoded is set when the block decoded without errors: only such
	// targets are compared for overlaps.
	decoded bool
}

// Rollout paces a failback.
type Rollout struct {
	Steps []providers.Share
	// StepsUnknown is set in ModeState when the steps depend on a value
	// that was not given; Steps then holds the defaults, which must not be
	// acted on.
	StepsUnknown      bool
	Bake              time.Duration
	PrimaryHealthyFor time.Duration
	OnUnhealthy       rollout.OnUnhealthy
	Cooldown          time.Duration
	OnDrift           rollout.OnDrift
	Approval          rollout.Approval
}

// Enumerations of the rollout block, as the policy language spells them.
var (
	OnUnhealthyModes = rollout.Names(rollout.OnUnhealthyModes)
	OnDriftModes     = rollout.Names(rollout.OnDriftModes)
	ApprovalModes    = rollout.Names(rollout.ApprovalModes)
)

// Defaults of the rollout block and of every check.
var (
	DefaultSteps              = []providers.Share{500, 1000, 2500, 5000, 10000}
	DefaultBake               = 10 * time.Minute
	DefaultPrimaryHealthyFor  = 15 * time.Minute
	DefaultCooldown           = 30 * time.Minute
	DefaultInterval           = 30 * time.Second
	DefaultTimeout            = 5 * time.Second
	DefaultHealthyThreshold   = 3
	DefaultUnhealthyThreshold = 2
	DefaultSamples            = 1
)
