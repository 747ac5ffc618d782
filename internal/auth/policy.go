package auth

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/errs"
)

// Rule says who may perform an operation.
type Rule struct {
	// Public operations need no identity (health, sign-in).
	Public bool `json:"public,omitempty"`
	// AnyRole operations need a signed-in actor with any role (whoami, sign-out).
	AnyRole bool `json:"any_role,omitempty"`
	// Roles may perform the operation (when neither Public nor AnyRole).
	Roles []domain.Role `json:"roles,omitempty"`
	// Note explains the rule and any check the handler must add.
	Note string `json:"note,omitempty"`
}

// Allows reports whether an actor holding roles may perform the operation
// (signedIn false: an anonymous caller).
func (r Rule) Allows(signedIn bool, roles []domain.Role) bool {
	switch {
	case r.Public:
		return true
	case !signedIn:
		return false
	case r.AnyRole:
		return true
	}
	for _, have := range roles {
		if slices.Contains(r.Roles, have) {
			return true
		}
	}
	return false
}

// Role groups of the policy.
var (
	// readers: every role but administrator; evidence is not the system
	// administrator's business (a lab may give one person both roles).
	readers    = []domain.Role{domain.RoleExaminer, domain.RoleTechnician, domain.RoleVerifier, domain.RoleInvestigator, domain.RoleLiaison}
	evidence   = []domain.Role{domain.RoleExaminer, domain.RoleTechnician}
	searchers  = []domain.Role{domain.RoleExaminer, domain.RoleTechnician, domain.RoleVerifier}
	reviewers  = []domain.Role{domain.RoleExaminer, domain.RoleVerifier}
	admins     = []domain.Role{domain.RoleAdministrator}
	auditors   = []domain.Role{domain.RoleAdministrator, domain.RoleVerifier}
	caseAudit  = []domain.Role{domain.RoleAdministrator, domain.RoleVerifier, domain.RoleExaminer}
	liaison    = []domain.Role{domain.RoleLiaison}
	traceRead  = []domain.Role{domain.RoleLiaison, domain.RoleExaminer, domain.RoleInvestigator}
	examiners  = []domain.Role{domain.RoleExaminer}
	verifiers  = []domain.Role{domain.RoleExaminer, domain.RoleVerifier}
	supervisor = []domain.Role{domain.RoleVerifier}
	// Tracing and exchange.
	firearmWriters = []domain.Role{domain.RoleExaminer, domain.RoleTechnician, domain.RoleLiaison}
	sharingAdmins  = []domain.Role{domain.RoleAdministrator, domain.RoleLiaison}
	fedSearchers   = []domain.Role{domain.RoleExaminer, domain.RoleTechnician, domain.RoleVerifier, domain.RoleLiaison}
	statsReaders   = []domain.Role{domain.RoleAdministrator, domain.RoleExaminer, domain.RoleVerifier, domain.RoleInvestigator, domain.RoleLiaison}
)

// policy is THE authorization table: operation ID → who may perform it.
// Operation IDs are those of the HTTP API (internal/api); entries for
// operations not yet served are kept so that the routes, when added, are
// covered from the start. Every operation is also scoped to the actor's
// agency (see Scope). A route without an entry is refused (Authorize) and
// fails the matrix test (authtest.CheckMatrix).
var policy = map[string]Rule{
	// Identity.
	"health":          {Public: true, Note: "liveness; reveals no data"},
	"login":           {Public: true, Note: "throttled per user and per IP; lockout after repeated failures"},
	"logout":          {AnyRole: true},
	"whoami":          {AnyRole: true},
	"change-password": {AnyRole: true, Note: "own password only; needs the current one"},
	"update-me":       {AnyRole: true, Note: "own settings only (language)"},

	// Evidence records: read by every role except administrator; written by examiners and technicians.
	"list-cases":      {Roles: readers},
	"get-case":        {Roles: readers},
	"list-exhibits":   {Roles: readers},
	"get-exhibit":     {Roles: readers},
	"list-scans":      {Roles: readers},
	"get-scan":        {Roles: readers},
	"download-scan":   {Roles: readers, Note: "audited as an export of evidence"},
	"scan-thumbnail":  {Roles: readers},
	"list-runs":       {Roles: readers},
	"get-run":         {Roles: readers},
	"list-candidates": {Roles: readers},
	"get-candidate":   {Roles: readers},
	"create-case":     {Roles: evidence},
	"update-case":     {Roles: evidence},
	"create-exhibit":  {Roles: evidence},
	"update-exhibit":  {Roles: evidence},
	"upload-scan":     {Roles: evidence},

	// Chain of custody.
	"list-custody":      {Roles: readers},
	"add-custody-event": {Roles: evidence},

	// Search and comparison.
	"search":        {Roles: searchers},
	"compare-scans": {Roles: searchers},

	// Candidate triage, conclusions and blind verification.
	"review-candidate":     {Roles: reviewers},
	"record-conclusion":    {Roles: examiners},
	"list-conclusions":     {Roles: readers, Note: "a pending verification's first conclusion is hidden from the verifier (blind)"},
	"list-verifications":   {Roles: verifiers, Note: "the actor's own pending verifications"},
	"verify-conclusion":    {Roles: verifiers, Note: "handler must refuse the examiner who recorded the conclusion"},
	"resolve-disagreement": {Roles: supervisor, Note: "handler must refuse a party to the disagreement"},

	// Workstation: the virtual comparison microscope, my work and reports.
	"get-conclusion":           {Roles: readers, Note: "a pending conclusion's content is hidden from everyone but its examiner (blind)"},
	"get-my-work":              {Roles: readers},
	"get-surface":              {Roles: readers},
	"get-surface-relief":       {Roles: readers},
	"get-pair-view":            {Roles: readers},
	"get-candidate-pair-view":  {Roles: readers},
	"render-case-report":       {Roles: verifiers, Note: "the report's SHA-256 is recorded in the audit trail"},
	"render-comparison-report": {Roles: verifiers, Note: "the report's SHA-256 is recorded in the audit trail"},
	"render-review-sheet":      {Roles: reviewers, Note: "the sheet's SHA-256 is recorded in the audit trail"},
	"render-receipt":           {Roles: evidence, Note: "the receipt's SHA-256 is recorded in the audit trail"},

	// Users and machine tokens of the actor's agency.
	"list-users":      {Roles: admins},
	"list-user-names": {AnyRole: true, Note: "names only, of the actor's agency"},
	"create-user":     {Roles: admins},
	"update-user":     {Roles: admins, Note: "roles, disabled flag, password reset"},
	"list-tokens":     {Roles: admins},
	"create-token":    {Roles: admins},
	"revoke-token":    {Roles: admins},

	// Audit trail.
	"list-audit":      {Roles: auditors},
	"list-case-audit": {Roles: caseAudit},
	"export-audit":    {Roles: auditors},
	"verify-audit":    {Roles: auditors},

	// Exchange between agencies and trace requests.
	"list-trace-requests":  {Roles: traceRead},
	"get-trace-request":    {Roles: traceRead},
	"create-trace-request": {Roles: liaison},
	"answer-trace-request": {Roles: liaison},
	"share-case":           {Roles: liaison, Note: "exchange rules decide what another agency then sees"},

	// Tracing and exchange: firearm records, trace requests, bundles,
	// sharing rules, peers and federated search, statistics. Handlers scope
	// every record to the actor's agency; trace requests are also visible to
	// the addressed agency, which alone acknowledges and answers them.
	"list-firearms":            {Roles: readers},
	"get-firearm":              {Roles: readers},
	"firearm-graph":            {Roles: readers},
	"search-serials":           {Roles: readers},
	"lookup-firearm-models":    {Roles: readers, Note: "reference list; no agency data"},
	"transliterate":            {Roles: readers, Note: "no agency data"},
	"create-firearm":           {Roles: firearmWriters},
	"update-firearm":           {Roles: firearmWriters},
	"set-firearm-status":       {Roles: firearmWriters, Note: "each change is kept in the firearm's history"},
	"link-test-fire":           {Roles: firearmWriters, Note: "the exhibit must be a test fire or reference exhibit of the agency"},
	"search-firearm-leads":     {Roles: searchers},
	"transition-trace-request": {Roles: liaison, Note: "requester sends; addressee acknowledges; either closes"},
	"trace-reminders":          {Roles: traceRead},
	"export-bundle":            {Roles: liaison, Note: "audited as an export of evidence"},
	"import-bundle":            {Roles: liaison, Note: "refused bundles are audited with the reason"},
	"verify-bundle":            {Roles: liaison},
	"list-sharing-rules":       {Roles: sharingAdmins},
	"create-sharing-rule":      {Roles: sharingAdmins, Note: "the agency's own rules only"},
	"revoke-sharing-rule":      {Roles: sharingAdmins, Note: "the agency's own rules only"},
	"federation-card":          {Roles: sharingAdmins},
	"list-peers":               {Roles: sharingAdmins},
	"add-peer":                 {Roles: admins, Note: "node-wide trust; compare the key fingerprint by another channel"},
	"revoke-peer":              {Roles: admins, Note: "node-wide; the peer's searches and bundles are refused from then on"},
	"federated-search":         {Roles: fedSearchers, Note: "audited on both nodes; each peer's rules decide what it returns"},
	"tracing-stats":            {Roles: statsReaders},
	"tracing-stats-csv":        {Roles: statsReaders},

	// Files: firearm photos and trace request attachments. Who records
	// firearms or writes trace requests uploads; whoever reads them opens
	// the files. Only files of the actor's agency are served (else 404).
	"upload-file": {Roles: firearmWriters, Note: "JPEG, PNG, TIFF or PDF by its first bytes; at most 20 MiB"},
	"get-file":    {Roles: readers, Note: "audited as a view"},
}

// Operations returns a copy of the authorization table.
func Operations() map[string]Rule {
	out := make(map[string]Rule, len(policy))
	for k, v := range policy {
		v.Roles = slices.Clone(v.Roles)
		out[k] = v
	}
	return out
}

// Authorize returns nil if actor may perform operation opID. Otherwise an
// errs.Permission error: wrapping ErrUnauthenticated for an anonymous
// actor (HTTP 401), or naming the roles needed (HTTP 403). An operation
// missing from the table is refused for everyone.
func Authorize(a Actor, opID string) error {
	const op = "auth.Authorize"
	r, ok := policy[opID]
	if !ok {
		return errs.Errorf(op, errs.Permission, "operation %q has no authorization entry", clip(opID))
	}
	if r.Allows(a.SignedIn(), a.Roles) {
		return nil
	}
	if !a.SignedIn() {
		return errs.E(op, errs.Permission, ErrUnauthenticated)
	}
	return errs.Errorf(op, errs.Permission, "%s needs one of the roles %s", opID, roleList(r.Roles))
}

func roleList(rs []domain.Role) string {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = string(r)
	}
	return strings.Join(ss, ", ")
}

// Scope returns nil if actor may see records of agency, else an
// errs.NotFound error (another agency's record is reported exactly like a
// missing one, so identifiers reveal nothing). Sharing between agencies
// (the exchange rules) will widen this check, here and nowhere else.
func Scope(a Actor, agency domain.AgencyID) error {
	if a.SignedIn() && a.Agency == agency {
		return nil
	}
	return errs.Errorf("auth.Scope", errs.NotFound, "not found")
}

// Matrix renders the table as Markdown (operation × role, ✓ allowed), for
// the documentation.
func Matrix() string {
	ids := make([]string, 0, len(policy))
	for id := range policy {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var b strings.Builder
	b.WriteString("| operation | anonymous |")
	for _, r := range domain.Roles {
		fmt.Fprintf(&b, " %s |", r)
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|", len(domain.Roles)) + "\n")
	mark := func(ok bool) string {
		if ok {
			return " ✓ |"
		}
		return " · |"
	}
	for _, id := range ids {
		r := policy[id]
		b.WriteString("| " + id + " |" + mark(r.Allows(false, nil)))
		for _, role := range domain.Roles {
			b.WriteString(mark(r.Allows(true, []domain.Role{role})))
		}
		b.WriteString("\n")
	}
	b.WriteString("\nConditions the handlers add:\n\n")
	for _, id := range ids {
		if n := policy[id].Note; n != "" {
			fmt.Fprintf(&b, "- %s: %s\n", id, n)
		}
	}
	return b.String()
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
