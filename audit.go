package lathe

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Audit outcomes.
const (
	OutcomeSuccess = "success" // the call did what it asked
	OutcomeFailure = "failure" // the call was allowed but failed
	OutcomeDenied  = "denied"  // authentication or authorization refused it
)

// AuditEvent is one row of the append-only audit log. Rows are hash-chained:
// each carries the hash of the row before it, and its own Hash covers every
// field and that link, so editing, deleting or reordering rows breaks the
// chain at the first row touched.
type AuditEvent struct {
	Seq         int64     `json:"seq"`
	Time        time.Time `json:"time"`
	Actor       string    `json:"actor"`
	WorkspaceID string    `json:"-"`
	Workspace   string    `json:"workspace,omitempty"`
	Action      string    `json:"action"`
	Target      string    `json:"target"`
	Outcome     string    `json:"outcome"`
	Status      int       `json:"status"`
	RequestID   string    `json:"request_id"`
	PrevHash    string    `json:"prev_hash"`
	Hash        string    `json:"hash"`
}

// GenesisHash is the PrevHash of the first audit row.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// ComputeHash returns the hash the event should carry: sha256 over its
// sequence number, fields (time in Unix milliseconds) and PrevHash, each
// length-prefixed so no two different rows encode alike.
func (e *AuditEvent) ComputeHash() string {
	h := sha256.New()
	for _, f := range []string{
		strconv.FormatInt(e.Seq, 10), strconv.FormatInt(e.Time.UnixMilli(), 10), e.Actor, e.Workspace,
		e.Action, e.Target, e.Outcome, strconv.Itoa(e.Status), e.RequestID, e.PrevHash,
	} {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// AuditFilter selects audit rows. Zero fields do not filter.
type AuditFilter struct {
	WorkspaceID string
	Actor       string
	Action      string // exact action, or a prefix ending in '*'
	Outcome     string
	Since       time.Time
	Until       time.Time
	BeforeSeq   int64 // page backwards from here (exclusive); 0 for the newest
	Limit       int
}

// MatchAction reports whether action matches the filter's Action.
func (f *AuditFilter) MatchAction(action string) bool {
	if f.Action == "" {
		return true
	}
	if p, ok := strings.CutSuffix(f.Action, "*"); ok {
		return strings.HasPrefix(action, p)
	}
	return action == f.Action
}

// AuditVerdict is the result of checking the audit chain.
type AuditVerdict struct {
	OK      bool   `json:"ok"`
	Checked int64  `json:"checked" doc:"rows checked"`
	BadSeq  int64  `json:"bad_seq,omitempty" doc:"the first row where the chain breaks"`
	Problem string `json:"problem,omitempty" doc:"what is wrong at that row"`
	LastSeq int64  `json:"last_seq"`
	Head    string `json:"head" doc:"hash of the last row: note it to detect truncation later"`
}
