package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/latheml/lathe"
)

// auditForm is the audit page's filter, as the user typed it.
type auditForm struct {
	Actor, Action, Outcome, Since string
	All                           bool // every workspace (admins)
}

// auditBody is the audit page's content.
type auditBody struct {
	Form     auditForm
	Error    string // a filter that could not be used
	CanAll   bool
	Verdict  *lathe.AuditVerdict
	Verify   string // why there is no verdict
	Table    *Table
	Outcomes []string
}

// audit shows the audit log, filtered and paged backwards by sequence
// number, under the result of checking the hash chain.
func (s *Studio) audit(w http.ResponseWriter, r *http.Request, rc *reqCtx) error {
	ctx := r.Context()
	q := r.URL.Query()
	b := auditBody{
		Form: auditForm{Actor: clip(q.Get("actor"), lathe.MaxNameLen), Action: clip(q.Get("action"), lathe.MaxNameLen),
			Outcome: q.Get("outcome"), Since: clip(q.Get("since"), 32), All: q.Get("scope") == "all"},
		CanAll:   s.allowed(r, rc, "", ActionAuditReadAll) == nil,
		Outcomes: []string{lathe.OutcomeSuccess, lathe.OutcomeFailure, lathe.OutcomeDenied},
	}
	if b.Form.All && !b.CanAll {
		return lathe.Errorf(lathe.EFORBIDDEN, "the audit log of every workspace is for server admins; remove scope=all to see this workspace's")
	}
	v, err := s.opts.Audit.VerifyAudit(ctx, rc.p)
	switch {
	case err == nil:
		b.Verdict = v
	case lathe.IsCode(err, lathe.EFORBIDDEN):
		b.Verify = "Checking the whole chain is for server admins; ask one to run the check if you need it."
	default:
		s.log.WarnContext(ctx, "studio could not verify the audit chain", "request_id", rc.rid, "error", err.Error())
		b.Verify = "The chain could not be checked just now: " + lathe.ErrorMessage(err)
	}

	f, ferr := auditFilter(q, b.Form)
	status := http.StatusOK
	cols := []Column{{Label: "#", Numeric: true}, {Label: "Time"}, {Label: "Actor"}}
	if b.Form.All {
		cols = append(cols, Column{Label: "Workspace"})
	}
	cols = append(cols, Column{Label: "Action"}, Column{Label: "Target"}, Column{Label: "Outcome"}, Column{Label: "Status", Numeric: true}, Column{Label: "Request id"})
	t := NewTable(r.URL, "audit", cols, "", false)
	t.Caption = "Audit events, newest first"
	t.Empty = Empty{Title: "No matching events", Text: "Every change made through the API, the CLI or this studio is recorded here, including refused attempts. Clear the filters to see everything."}
	b.Table = t
	if ferr != nil {
		b.Error = lathe.ErrorMessage(ferr)
		rc.failed = ferr
		status = http.StatusBadRequest
	} else {
		if !b.Form.All {
			f.WorkspaceID = rc.ws.ID
		}
		f.Limit = auditPageSize + 1
		evs, err := s.opts.Audit.ListAudit(ctx, rc.p, f)
		if err != nil {
			if code := lathe.ErrorCode(err); code != lathe.EINVALID {
				return err
			}
			b.Error, status = lathe.ErrorMessage(err), http.StatusBadRequest
		}
		more := len(evs) > auditPageSize
		if more {
			evs = evs[:auditPageSize]
			t.Pager.Next = t.link(map[string]string{"before": strconv.FormatInt(evs[len(evs)-1].Seq, 10)})
		}
		if f.BeforeSeq > 0 {
			t.Pager.First = t.link(map[string]string{"before": ""})
		}
		for _, e := range evs {
			row := []Cell{{Text: strconv.FormatInt(e.Seq, 10), Title: "hash " + e.Hash}, {Time: e.Time, Text: fmtTime(e.Time)}, {Text: e.Actor}}
			if b.Form.All {
				row = append(row, Cell{Text: orDash(e.Workspace)})
			}
			row = append(row,
				Cell{Text: e.Action, Mono: true},
				Cell{Text: orDash(e.Target), Mono: true, Title: e.Target},
				Cell{Text: e.Outcome, Badge: BadgeTone(e.Outcome)},
				Cell{Text: strconv.Itoa(e.Status)},
				Cell{Text: shorten(e.RequestID, 12), Title: e.RequestID, Mono: true})
			t.Rows = append(t.Rows, row)
		}
	}
	return s.render(w, r, rc, status, "audit", &page{Title: "Audit", Section: "audit", Body: b})
}

// auditFilter checks the filter form and the page position.
func auditFilter(q url.Values, form auditForm) (lathe.AuditFilter, error) {
	f := lathe.AuditFilter{Actor: strings.TrimSpace(form.Actor), Action: strings.TrimSpace(form.Action)}
	switch form.Outcome {
	case "", lathe.OutcomeSuccess, lathe.OutcomeFailure, lathe.OutcomeDenied:
		f.Outcome = form.Outcome
	default:
		return f, lathe.Errorf(lathe.EINVALID, "outcome %q: choose success, failure or denied", clip(form.Outcome, 40))
	}
	if strings.ContainsAny(f.Action, " \t\r\n") || strings.Contains(strings.TrimSuffix(f.Action, "*"), "*") {
		return f, lathe.Errorf(lathe.EINVALID, "action %q: give an exact action such as role.assign, or a prefix ending in * such as role.*", clip(f.Action, 60))
	}
	if s := strings.TrimSpace(form.Since); s != "" {
		var t time.Time
		var err error
		for _, layout := range []string{"2006-01-02T15:04", "2006-01-02", time.RFC3339} {
			if t, err = time.ParseInLocation(layout, s, time.UTC); err == nil {
				break
			}
		}
		if err != nil {
			return f, lathe.Errorf(lathe.EINVALID, "since %q: give a date as YYYY-MM-DD, optionally with a time as YYYY-MM-DDTHH:MM (UTC)", clip(s, 40))
		}
		f.Since = t
	}
	if s := q.Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return f, lathe.Errorf(lathe.EINVALID, "before %q must be an event number; start again from the newest", clip(s, 40))
		}
		f.BeforeSeq = n
	}
	return f, nil
}
