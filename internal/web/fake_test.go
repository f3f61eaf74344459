package web_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/latheml/lathe"
	"github.com/latheml/lathe/internal/web"
)

// world is an in-memory fake of every service the studio consumes, with
// a policy table like the real one's. changes counts the calls that changed
// something other than sessions and the audit log, so a test can check that
// a refused post changed nothing.
type world struct {
	mu       sync.Mutex
	now      time.Time
	users    map[string]*lathe.User
	tokens   map[string]*lathe.Token // secret → token
	sessions map[string]*fakeSession // secret → session
	links    map[string]string       // one-time code → user
	wss      map[string]*lathe.Workspace
	roles    map[string]map[string]*lathe.RoleAssignment // workspace → user → assignment
	blobs    map[string][]*lathe.Blob                    // workspace → blobs, newest first
	events   []*lathe.AuditEvent
	changes  int
	broken   bool // VerifyAudit reports a broken chain
	trk      *fakeTracking
	data     *fakeData
}

type fakeSession struct {
	s    *lathe.Session
	user string
}

var (
	_ web.Sessions   = (*world)(nil)
	_ web.Authorizer = (*world)(nil)
	_ web.Workspaces = (*world)(nil)
	_ web.Accounts   = (*world)(nil)
	_ web.Roles      = (*world)(nil)
	_ web.Audit      = (*world)(nil)
	_ web.Data       = (*world)(nil)
)

// Tokens of the fake world's users.
const (
	tokAdmin  = "lathe_admin_secret_token"
	tokOwner  = "lathe_olivia_secret_token"
	tokReader = "lathe_rita_secret_token"
	tokOther  = "lathe_sam_secret_token"
)

// policy is the fake's policy table: the lowest role for each action in a
// workspace, and which workspace-less actions need an admin.
func policy() (inWorkspace map[string]lathe.Role, adminOnly map[string]bool) {
	return map[string]lathe.Role{
			web.ActionWorkspaceRead: lathe.RoleReader,
			web.ActionDataRead:      lathe.RoleReader,
			web.ActionRoleRead:      lathe.RoleReader,
			web.ActionRoleWrite:     lathe.RoleOwner,
			web.ActionAuditRead:     lathe.RoleOwner,
			web.ActionTrackingRead:  lathe.RoleReader,
			web.ActionJobRead:       lathe.RoleReader,
			web.ActionScheduleRead:  lathe.RoleReader,
		}, map[string]bool{
			web.ActionUserWrite:    true,
			web.ActionAuditReadAll: true,
		}
}

// newWorld returns a world with workspaces default, vision and secret;
// users admin (server admin, owner of default), olivia (owner of default
// and vision), rita (reader in default) and sam (owner of secret only);
// blobs blobs in default; the data assets of fakeData; and a few audit
// events.
func newWorld(blobs int) *world {
	t0 := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	w := &world{
		now: t0, users: map[string]*lathe.User{}, tokens: map[string]*lathe.Token{}, sessions: map[string]*fakeSession{},
		links: map[string]string{}, wss: map[string]*lathe.Workspace{}, roles: map[string]map[string]*lathe.RoleAssignment{},
		blobs: map[string][]*lathe.Blob{}, trk: newFakeTracking(t0), data: newFakeData(t0),
	}
	for _, n := range []string{"default", "vision", "secret"} {
		w.wss[n] = &lathe.Workspace{ID: "ws-" + n, Name: n, Description: "The " + n + " workspace.", CreatedAt: t0.Add(-72 * time.Hour), CreatedBy: "admin"}
		w.roles[n] = map[string]*lathe.RoleAssignment{}
	}
	for _, u := range []struct {
		name, tok string
		admin     bool
	}{{"admin", tokAdmin, true}, {"olivia", tokOwner, false}, {"rita", tokReader, false}, {"sam", tokOther, false}} {
		w.users[u.name] = &lathe.User{ID: "u-" + u.name, Name: u.name, Email: u.name + "@example.org", Admin: u.admin, CreatedAt: t0.Add(-48 * time.Hour)}
		w.tokens[u.tok] = &lathe.Token{ID: "t-" + u.name, UserID: "u-" + u.name, Name: "first", Prefix: u.tok[:10], CreatedAt: t0.Add(-47 * time.Hour)}
	}
	w.assign("default", "admin", lathe.RoleOwner)
	w.assign("default", "olivia", lathe.RoleOwner)
	w.assign("default", "rita", lathe.RoleReader)
	w.assign("vision", "olivia", lathe.RoleOwner)
	w.assign("secret", "sam", lathe.RoleOwner)
	for i := range blobs {
		sum := sha256.Sum256([]byte(fmt.Sprint("blob ", i)))
		d := hex.EncodeToString(sum[:])
		w.blobs["default"] = append([]*lathe.Blob{{WorkspaceID: "ws-default", Digest: lathe.Digest("sha256:" + d),
			Size: int64((i*37)%500+1) * 1024, CreatedAt: t0.Add(time.Duration(i-blobs) * time.Minute), CreatedBy: []string{"olivia", "rita"}[i%2]}},
			w.blobs["default"]...)
	}
	for i, e := range []lathe.AuditEvent{
		{Actor: "olivia", Workspace: "default", Action: "blob.put", Target: "sha256:0a1b", Outcome: lathe.OutcomeSuccess, Status: 201},
		{Actor: "rita", Workspace: "default", Action: "role.assign", Target: "rita=owner", Outcome: lathe.OutcomeDenied, Status: 403},
		{Actor: "olivia", Workspace: "default", Action: "role.assign", Target: "rita=reader", Outcome: lathe.OutcomeSuccess, Status: 303},
		{Actor: "sam", Workspace: "secret", Action: "blob.put", Target: "sha256:ffee", Outcome: lathe.OutcomeSuccess, Status: 201},
	} {
		e.Time = t0.Add(time.Duration(i-5) * 90 * time.Minute)
		e.WorkspaceID = "ws-" + e.Workspace
		e.RequestID = fmt.Sprintf("req%d", i)
		_ = w.Record(context.Background(), &e)
	}
	return w
}

func (w *world) assign(ws, user string, r lathe.Role) {
	w.roles[ws][user] = &lathe.RoleAssignment{WorkspaceID: "ws-" + ws, Workspace: ws, UserID: "u-" + user, User: user, Role: r, CreatedAt: w.now.Add(-24 * time.Hour), CreatedBy: "admin"}
}

// clock is the studio's clock: the world's fixed now.
func (w *world) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

// changed returns how many changes were made.
func (w *world) changed() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.changes
}

// eventsWith returns the recorded events of an action.
func (w *world) eventsWith(action string) []lathe.AuditEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []lathe.AuditEvent
	for _, e := range w.events {
		if e.Action == action {
			out = append(out, *e)
		}
	}
	return out
}

func randHex() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (w *world) principal(name string) lathe.Principal {
	u := w.users[name]
	return lathe.Principal{UserID: u.ID, UserName: u.Name, Admin: u.Admin, TokenID: "t-" + name}
}

func (w *world) newSession(user string) (string, *lathe.Session) {
	secret := randHex()
	s := &lathe.Session{ID: "s-" + secret[:8], UserID: w.users[user].ID, CSRF: randHex(), CreatedAt: w.now, ExpiresAt: w.now.Add(12 * time.Hour)}
	w.sessions[secret] = &fakeSession{s: s, user: user}
	return secret, s
}

func (w *world) userOf(t *lathe.Token) *lathe.User {
	for _, u := range w.users {
		if u.ID == t.UserID {
			return u
		}
	}
	return nil
}

// SignIn implements web.Sessions.
func (w *world) SignIn(ctx context.Context, token string) (string, *lathe.Session, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.tokens[token]
	if !ok || !t.Active(w.now) || w.userOf(t).Disabled {
		return "", nil, lathe.Errorf(lathe.EUNAUTHORIZED, "token not valid")
	}
	secret, s := w.newSession(w.userOf(t).Name)
	return secret, s, nil
}

// RedeemSignInLink implements web.Sessions.
func (w *world) RedeemSignInLink(ctx context.Context, code string) (string, *lathe.Session, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	user, ok := w.links[code]
	if !ok {
		return "", nil, lathe.Errorf(lathe.EUNAUTHORIZED, "sign-in link not valid")
	}
	delete(w.links, code)
	secret, s := w.newSession(user)
	return secret, s, nil
}

// Session implements web.Sessions.
func (w *world) Session(ctx context.Context, secret string) (*lathe.Session, lathe.Principal, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fs, ok := w.sessions[secret]
	if !ok || !w.now.Before(fs.s.ExpiresAt) || w.users[fs.user].Disabled {
		return nil, lathe.Principal{}, lathe.Errorf(lathe.EUNAUTHORIZED, "session expired")
	}
	return fs.s, w.principal(fs.user), nil
}

// SignOut implements web.Sessions.
func (w *world) SignOut(ctx context.Context, secret string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.sessions, secret)
	w.changes++
	return nil
}

// Authorize implements web.Authorizer with the fake policy table.
func (w *world) Authorize(ctx context.Context, p lathe.Principal, ws, action string) (*lathe.Workspace, lathe.Role, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	inWS, adminOnly := policy()
	if ws == "" {
		if !adminOnly[action] {
			return nil, "", fmt.Errorf("fake policy: no workspace-less action %q", action)
		}
		if !p.Admin {
			return nil, "", lathe.Errorf(lathe.EFORBIDDEN, "%s is for server admins", action)
		}
		return nil, "", nil
	}
	need, ok := inWS[action]
	if !ok {
		return nil, "", fmt.Errorf("fake policy: no workspace action %q", action)
	}
	wsp, ok := w.wss[ws]
	ra := w.roles[ws][p.UserName]
	if !ok || ra == nil {
		return nil, "", lathe.Errorf(lathe.ENOTFOUND, "workspace %q not found", ws)
	}
	if !ra.Role.AtLeast(need) {
		return nil, "", lathe.Errorf(lathe.EFORBIDDEN, "%s in workspace %s needs the %s role; you are %s", action, ws, need, ra.Role)
	}
	return wsp, ra.Role, nil
}

// ListWorkspaces implements web.Workspaces.
func (w *world) ListWorkspaces(ctx context.Context, p lathe.Principal) ([]*lathe.WorkspaceRole, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*lathe.WorkspaceRole
	for name, ws := range w.wss {
		if ra := w.roles[name][p.UserName]; ra != nil {
			out = append(out, &lathe.WorkspaceRole{Workspace: *ws, Role: ra.Role})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Overview implements web.Workspaces.
func (w *world) Overview(ctx context.Context, p lathe.Principal, ws string) (*lathe.Overview, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	ra := w.roles[ws][p.UserName]
	if ra == nil {
		return nil, lathe.Errorf(lathe.ENOTFOUND, "workspace %q not found", ws)
	}
	o := &lathe.Overview{Workspace: *w.wss[ws], Role: ra.Role, Members: int64(len(w.roles[ws]))}
	for _, b := range w.blobs[ws] {
		o.Blobs++
		o.BlobBytes += b.Size
	}
	for i := len(w.events) - 1; i >= 0; i-- {
		e := w.events[i]
		if e.Workspace != ws {
			continue
		}
		if w.now.Sub(e.Time) < 24*time.Hour {
			o.AuditEvents++
		}
		if len(o.Recent) < 20 {
			o.Recent = append(o.Recent, e)
		}
	}
	return o, nil
}

// ListUsers implements web.Accounts.
func (w *world) ListUsers(ctx context.Context, p lathe.Principal) ([]*lathe.User, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !p.Admin {
		return nil, lathe.Errorf(lathe.EFORBIDDEN, "listing users is for admins")
	}
	var out []*lathe.User
	for _, u := range w.users {
		c := *u
		out = append(out, &c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// CreateUser implements web.Accounts.
func (w *world) CreateUser(ctx context.Context, p lathe.Principal, name, email string) (*lathe.User, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !p.Admin {
		return nil, lathe.Errorf(lathe.EFORBIDDEN, "creating users is for admins")
	}
	if _, ok := w.users[name]; ok {
		return nil, lathe.Errorf(lathe.ECONFLICT, "user %q exists already; choose another name", name)
	}
	u := &lathe.User{ID: "u-" + name, Name: name, Email: email, CreatedAt: w.now}
	w.users[name] = u
	w.changes++
	return u, nil
}

// SetUserDisabled implements web.Accounts.
func (w *world) SetUserDisabled(ctx context.Context, p lathe.Principal, name string, disabled bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !p.Admin {
		return lathe.Errorf(lathe.EFORBIDDEN, "disabling users is for admins")
	}
	u, ok := w.users[name]
	if !ok {
		return lathe.Errorf(lathe.ENOTFOUND, "user %q not found", name)
	}
	u.Disabled = disabled
	w.changes++
	return nil
}

// ListTokens implements web.Accounts.
func (w *world) ListTokens(ctx context.Context, p lathe.Principal, user string) ([]*lathe.Token, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if user != p.UserName && !p.Admin {
		return nil, lathe.Errorf(lathe.EFORBIDDEN, "only your own tokens")
	}
	u := w.users[user]
	var out []*lathe.Token
	for _, t := range w.tokens {
		if u != nil && t.UserID == u.ID {
			c := *t
			out = append(out, &c)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].CreatedAt.Before(out[j].CreatedAt) || out[i].CreatedAt.Equal(out[j].CreatedAt) && out[i].ID < out[j].ID
	})
	return out, nil
}

// CreateToken implements web.Accounts.
func (w *world) CreateToken(ctx context.Context, p lathe.Principal, user, name string, expires *time.Time) (string, *lathe.Token, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if user != p.UserName && !p.Admin {
		return "", nil, lathe.Errorf(lathe.EFORBIDDEN, "only your own tokens")
	}
	u, ok := w.users[user]
	if !ok {
		return "", nil, lathe.Errorf(lathe.EINVALID, "user %q not found", user)
	}
	secret := "lathe_" + randHex()
	t := &lathe.Token{ID: "t-" + randHex()[:8], UserID: u.ID, Name: name, Prefix: secret[:10], CreatedAt: w.now, ExpiresAt: expires}
	w.tokens[secret] = t
	w.changes++
	c := *t
	return secret, &c, nil
}

// RevokeToken implements web.Accounts.
func (w *world) RevokeToken(ctx context.Context, p lathe.Principal, id string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, t := range w.tokens {
		if t.ID != id {
			continue
		}
		if t.UserID != p.UserID && !p.Admin {
			return lathe.Errorf(lathe.ENOTFOUND, "token %q not found", id)
		}
		now := w.now
		t.RevokedAt = &now
		w.changes++
		return nil
	}
	return lathe.Errorf(lathe.ENOTFOUND, "token %q not found", id)
}

// ListRoles implements web.Roles.
func (w *world) ListRoles(ctx context.Context, p lathe.Principal, ws string) ([]*lathe.RoleAssignment, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*lathe.RoleAssignment
	for _, ra := range w.roles[ws] {
		c := *ra
		out = append(out, &c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].User < out[j].User })
	return out, nil
}

// owners counts a workspace's owners.
func (w *world) owners(ws string) int {
	n := 0
	for _, ra := range w.roles[ws] {
		if ra.Role == lathe.RoleOwner {
			n++
		}
	}
	return n
}

// AssignRole implements web.Roles.
func (w *world) AssignRole(ctx context.Context, p lathe.Principal, ws, user string, r lathe.Role) (*lathe.RoleAssignment, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if me := w.roles[ws][p.UserName]; me == nil || me.Role != lathe.RoleOwner {
		return nil, lathe.Errorf(lathe.EFORBIDDEN, "assigning roles is for owners")
	}
	if _, ok := w.users[user]; !ok {
		return nil, lathe.Errorf(lathe.EINVALID, "user %q does not exist; an admin creates users under Settings", user)
	}
	if cur := w.roles[ws][user]; cur != nil && cur.Role == lathe.RoleOwner && r != lathe.RoleOwner && w.owners(ws) == 1 {
		return nil, lathe.Errorf(lathe.ECONFLICT, "%s is the last owner of %s; make someone else owner first", user, ws)
	}
	w.assign(ws, user, r)
	w.changes++
	c := *w.roles[ws][user]
	return &c, nil
}

// RevokeRole implements web.Roles.
func (w *world) RevokeRole(ctx context.Context, p lathe.Principal, ws, user string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if me := w.roles[ws][p.UserName]; me == nil || me.Role != lathe.RoleOwner {
		return lathe.Errorf(lathe.EFORBIDDEN, "removing roles is for owners")
	}
	cur := w.roles[ws][user]
	if cur == nil {
		return lathe.Errorf(lathe.ENOTFOUND, "%s has no role in %s", user, ws)
	}
	if cur.Role == lathe.RoleOwner && w.owners(ws) == 1 {
		return lathe.Errorf(lathe.ECONFLICT, "%s is the last owner of %s; make someone else owner first", user, ws)
	}
	delete(w.roles[ws], user)
	w.changes++
	return nil
}

// ListAudit implements web.Audit.
func (w *world) ListAudit(ctx context.Context, p lathe.Principal, f lathe.AuditFilter) ([]*lathe.AuditEvent, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if f.WorkspaceID == "" && !p.Admin {
		return nil, lathe.Errorf(lathe.EFORBIDDEN, "every workspace's audit log is for admins")
	}
	var out []*lathe.AuditEvent
	for i := len(w.events) - 1; i >= 0; i-- {
		e := w.events[i]
		switch {
		case f.WorkspaceID != "" && e.WorkspaceID != f.WorkspaceID,
			f.Actor != "" && e.Actor != f.Actor,
			!f.MatchAction(e.Action),
			f.Outcome != "" && e.Outcome != f.Outcome,
			!f.Since.IsZero() && e.Time.Before(f.Since),
			f.BeforeSeq > 0 && e.Seq >= f.BeforeSeq:
			continue
		}
		c := *e
		out = append(out, &c)
		if f.Limit > 0 && len(out) == f.Limit {
			break
		}
	}
	return out, nil
}

// VerifyAudit implements web.Audit by checking the chain.
func (w *world) VerifyAudit(ctx context.Context, p lathe.Principal) (*lathe.AuditVerdict, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	v := &lathe.AuditVerdict{OK: true, Head: lathe.GenesisHash}
	prev := lathe.GenesisHash
	for _, e := range w.events {
		v.Checked++
		if e.PrevHash != prev || e.ComputeHash() != e.Hash || w.broken && e.Seq == 2 {
			v.OK, v.BadSeq, v.Problem = false, e.Seq, "the row's hash does not match its contents"
			return v, nil
		}
		prev, v.LastSeq, v.Head = e.Hash, e.Seq, e.Hash
	}
	return v, nil
}

// Record implements web.Audit.
func (w *world) Record(ctx context.Context, e *lathe.AuditEvent) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := *e
	c.Seq = int64(len(w.events) + 1)
	c.PrevHash = lathe.GenesisHash
	if n := len(w.events); n > 0 {
		c.PrevHash = w.events[n-1].Hash
	}
	if c.Time.IsZero() {
		c.Time = w.now
	}
	c.Hash = c.ComputeHash()
	w.events = append(w.events, &c)
	return nil
}

// ListBlobs implements web.Data with an offset cursor.
func (w *world) ListBlobs(ctx context.Context, p lathe.Principal, ws, cursor string, limit int) ([]*lathe.Blob, string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	all := w.blobs[ws]
	start := 0
	if cursor != "" {
		if _, err := fmt.Sscanf(cursor, "o%d", &start); err != nil || start < 0 || start > len(all) {
			return nil, "", lathe.Errorf(lathe.EINVALID, "cursor %q is not valid", cursor)
		}
	}
	end := min(start+limit, len(all))
	next := ""
	if end < len(all) {
		next = fmt.Sprintf("o%d", end)
	}
	out := make([]*lathe.Blob, 0, end-start)
	for _, b := range all[start:end] {
		c := *b
		out = append(out, &c)
	}
	return out, next, nil
}

// addLink makes a one-time sign-in code for a user.
func (w *world) addLink(user string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	code := "code-" + randHex()
	w.links[code] = user
	return code
}

// studio builds the studio over the world.
func (w *world) studio() (*web.Studio, error) {
	return web.New(web.Options{Sessions: w, Authorizer: w, Workspaces: w, Accounts: w, Roles: w, Audit: w, Data: w, Tracking: w.trk, DataAssets: w.data, Now: w.clock})
}

// contains reports whether every part appears in s.
func contains(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
