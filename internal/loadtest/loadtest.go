package loadtest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/auth"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/server"
	"github.com/tracemark/tracemark/internal/synth"
	"github.com/tracemark/tracemark/internal/x3p"
)

// Config sizes a load test.
type Config struct {
	// URL of a running server ("https://host:port"); empty starts one on
	// loopback under DataDir (SQLite, local blobs, embedded NATS).
	URL string
	// DataDir of the server started here ("" : a temporary folder, removed).
	DataDir string
	// Username and Password sign in to URL (the user needs the examiner
	// or technician role to upload; verifier or administrator to verify
	// the audit log). The server started here creates its own users.
	Username, Password string
	// TLS configures the client for an HTTPS URL (nil: system roots).
	TLS *tls.Config

	Clients  int           // concurrent clients (default 50)
	Duration time.Duration // how long they send requests (default 30 s)
	// Mix weighs the kinds of request (default upload 2, search 1, view 7).
	Upload, Search, View int
	// SizePX is the width of the synthetic scans uploaded (default 256).
	SizePX int
	Seed   uint64
	Log    *slog.Logger
}

// Kinds of request.
const (
	KindLogin  = "login"
	KindSetup  = "setup"
	KindUpload = "upload"
	KindSearch = "search"
	KindView   = "view"
)

// KindStats summarises one kind of request.
type KindStats struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	P50MS    float64 `json:"p50_ms"`
	P99MS    float64 `json:"p99_ms"`
	MaxMS    float64 `json:"max_ms"`
}

// Report is the outcome of a load test.
type Report struct {
	URL       string               `json:"url"`
	Clients   int                  `json:"clients"`
	Duration  time.Duration        `json:"duration_ns"`
	Requests  int                  `json:"requests"`
	Errors    int                  `json:"errors"`
	PerSecond float64              `json:"requests_per_second"`
	Kinds     map[string]KindStats `json:"kinds"`
	// Acknowledged uploads (201 or 200 with a scan ID) and how many of
	// them could not be found afterwards, or differ from what was sent.
	Acknowledged int `json:"uploads_acknowledged"`
	Lost         int `json:"uploads_lost"`
	// Audit is the verification of the audit chain after the run.
	Audit        *audit.Report `json:"audit,omitempty"`
	AuditChecked string        `json:"audit_checked"` // how: "in process", "via the API", or why not
	// ErrorSamples are a few error answers, for diagnosis.
	ErrorSamples []string `json:"error_samples,omitempty"`
}

// OK reports whether the run had no error, lost nothing and the audit
// chain verified.
func (r *Report) OK() bool {
	return r.Errors == 0 && r.Lost == 0 && r.Audit != nil && r.Audit.Problem == nil
}

// Run performs a load test and reports it. It stops by itself after
// Duration (plus the requests in flight) and never targets anything but
// cfg.URL or the server it starts on 127.0.0.1.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Clients <= 0 {
		cfg.Clients = 50
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 30 * time.Second
	}
	if cfg.Upload+cfg.Search+cfg.View <= 0 {
		cfg.Upload, cfg.Search, cfg.View = 2, 1, 7
	}
	if cfg.SizePX <= 0 {
		cfg.SizePX = 256
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	t := &target{cfg: cfg}
	if cfg.URL == "" {
		stop, err := t.startServer(ctx)
		if err != nil {
			return nil, err
		}
		defer stop()
	} else {
		t.url = strings.TrimRight(cfg.URL, "/")
		t.http = &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{TLSClientConfig: cfg.TLS, MaxIdleConnsPerHost: cfg.Clients}}
		t.users = []cred{{cfg.Username, cfg.Password}}
	}
	cfg.Log.Info("preparing synthetic scans")
	files, err := makeFiles(cfg)
	if err != nil {
		return nil, err
	}
	rep, acks, err := t.run(ctx, files)
	if err != nil {
		return rep, err
	}
	t.check(ctx, rep, acks)
	return rep, nil
}

type cred struct{ username, password string }

// target is the server under test and the clients' shared state.
type target struct {
	cfg   Config
	url   string
	http  *http.Client
	users []cred
	node  *server.Node // the server started here, nil for a URL
	// sessions of the users, for the checks after the run.
	sessions []session
	// serveDone reports Serve's end; stopServe shuts the server down.
	serveDone chan error
	stopServe context.CancelFunc
}

// startServer opens a node under DataDir, creates the users and serves on
// a free loopback port.
func (t *target) startServer(ctx context.Context) (func(), error) {
	dir := t.cfg.DataDir
	cleanup := func() {}
	if dir == "" {
		d, err := os.MkdirTemp("", "tracemark-load-*")
		if err != nil {
			return nil, err
		}
		dir, cleanup = d, func() { os.RemoveAll(d) }
	}
	n, err := server.Open(ctx, server.Config{DataDir: dir, Addr: "127.0.0.1:0", NATSListen: "off", Workers: 1, K: 5,
		Log: t.cfg.Log, CheckpointEvery: time.Hour})
	if err != nil {
		cleanup()
		return nil, err
	}
	t.node = n
	// A few users shared by the clients, as in a laboratory: examiners and
	// technicians upload and search, a verifier checks the audit trail.
	console := auth.Actor{User: n.User.ID, Agency: n.Agency.ID}
	roles := [][]domain.Role{{domain.RoleExaminer}, {domain.RoleTechnician}, {domain.RoleExaminer, domain.RoleVerifier}}
	nUsers := min(max(1, t.cfg.Clients/5), 10)
	for i := range nUsers {
		name := fmt.Sprintf("load-%02d", i)
		pw := "load-test-password-" + name
		u, err := n.Store.UserByName(ctx, name)
		if err != nil {
			if u, err = n.Store.CreateUser(ctx, domain.User{AgencyID: n.Agency.ID, Username: name, Roles: roles[i%len(roles)]}); err != nil {
				n.Close()
				cleanup()
				return nil, err
			}
		}
		if err := n.Auth.SetPassword(ctx, console, n.Agency.ID, u.ID, pw); err != nil {
			n.Close()
			cleanup()
			return nil, err
		}
		t.users = append(t.users, cred{name, pw})
	}
	serveCtx, cancel := context.WithCancel(context.Background())
	urls := make(chan string, 1)
	t.serveDone = make(chan error, 1)
	t.stopServe = cancel
	go func() { t.serveDone <- n.Serve(serveCtx, func(u string) { urls <- u }) }()
	select {
	case t.url = <-urls:
	case err := <-t.serveDone:
		n.Close()
		cleanup()
		return nil, fmt.Errorf("starting the server: %w", err)
	}
	t.http = &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: t.cfg.Clients}}
	return func() {
		t.shutdown()
		n.Close()
		cleanup()
	}, nil
}

// shutdown stops the server started here (idempotent); Serve signs an
// audit checkpoint on the way out.
func (t *target) shutdown() {
	if t.stopServe == nil {
		return
	}
	t.stopServe()
	if err := <-t.serveDone; err != nil {
		t.cfg.Log.Warn("server stopped with an error", "err", err)
	}
	t.stopServe = nil
}

// file is one X3P file to send, with its blob reference (SHA-256).
type file struct {
	name string
	data []byte
	sum  string
}

// makeFiles builds the scans: a few synthetic cartridge cases, each
// written many times with a different comment so that every upload is a
// new file (new SHA-256) that goes through the whole ingest.
func makeFiles(cfg Config) (uploads []file, err error) {
	const bases = 6
	var maps []synth.Scan
	err = synth.EachCartridge(synth.CartridgeConfig{Firearms: bases, Shots: 1, Seed: cfg.Seed + 1, SizePX: cfg.SizePX}, func(s synth.Scan) error {
		maps = append(maps, s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Enough distinct files for every client to upload continuously.
	n := max(16, cfg.Clients*int(cfg.Duration.Seconds()+1)*cfg.Upload/(cfg.Upload+cfg.Search+cfg.View)+cfg.Clients)
	for i := range n {
		s := maps[i%len(maps)]
		f := x3p.New(s.Surface)
		f.Header.Record2 = &x3p.Record2{Creator: "tracemark load test", Comment: fmt.Sprintf("load test file %d seed %d", i, cfg.Seed)}
		var buf bytes.Buffer
		if err := x3p.Write(&buf, f); err != nil {
			return nil, err
		}
		uploads = append(uploads, file{name: fmt.Sprintf("load-%05d-%s.x3p", i, s.Name), data: buf.Bytes(), sum: blob.RefOf(buf.Bytes()).String()})
	}
	return uploads, nil
}

// session is a signed-in user.
type session struct {
	cookie, csrf string
}

type sample struct {
	kind string
	ms   float64
	err  string // "" for success
}

type ack struct {
	scan domain.ScanID
	sum  string
}

// run signs in, then runs the clients until the deadline.
func (t *target) run(ctx context.Context, files []file) (*Report, []ack, error) {
	rep := &Report{URL: t.url, Clients: t.cfg.Clients, Kinds: map[string]KindStats{}}
	var samples []sample
	var mu sync.Mutex
	add := func(s sample) {
		mu.Lock()
		samples = append(samples, s)
		mu.Unlock()
	}
	sessions := make([]session, len(t.users))
	defer func() { t.sessions = sessions }()
	for i, u := range t.users {
		s, err := t.login(ctx, u, add)
		if err != nil {
			return rep, nil, fmt.Errorf("signing in as %s: %w", u.username, err)
		}
		sessions[i] = s
	}
	var next atomic.Int64
	var acks []ack
	start := time.Now()
	deadline := start.Add(t.cfg.Duration)
	var wg sync.WaitGroup
	for i := range t.cfg.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &client{t: t, s: sessions[i%len(sessions)], rng: rand.New(rand.NewPCG(t.cfg.Seed, uint64(i))), add: add}
			got := c.loop(ctx, i, deadline, files, &next)
			mu.Lock()
			acks = append(acks, got...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	rep.Duration = time.Since(start)
	byKind := map[string][]float64{}
	for _, s := range samples {
		k := rep.Kinds[s.kind]
		k.Requests++
		rep.Requests++
		if s.err != "" {
			k.Errors++
			rep.Errors++
			if len(rep.ErrorSamples) < 10 {
				rep.ErrorSamples = append(rep.ErrorSamples, s.kind+": "+s.err)
			}
		}
		rep.Kinds[s.kind] = k
		byKind[s.kind] = append(byKind[s.kind], s.ms)
	}
	for kind, ms := range byKind {
		sort.Float64s(ms)
		k := rep.Kinds[kind]
		k.P50MS, k.P99MS, k.MaxMS = quantile(ms, 0.50), quantile(ms, 0.99), ms[len(ms)-1]
		rep.Kinds[kind] = k
	}
	rep.PerSecond = float64(rep.Requests) / rep.Duration.Seconds()
	rep.Acknowledged = len(acks)
	return rep, acks, nil
}

// quantile of sorted values (nearest rank).
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func (t *target) login(ctx context.Context, u cred, add func(sample)) (session, error) {
	body, _ := json.Marshal(map[string]string{"username": u.username, "password": u.password})
	for attempt := 0; ; attempt++ {
		start := time.Now()
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url+"/api/auth/login", bytes.NewReader(body))
		if err != nil {
			return session{}, err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := t.http.Do(req)
		if err != nil {
			add(sample{kind: KindLogin, ms: since(start), err: err.Error()})
			return session{}, err
		}
		var out struct {
			CSRFToken string `json:"csrf_token"`
			Detail    string `json:"detail"`
		}
		json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests && attempt < 3 {
			// Sign-in is throttled per address; wait as told.
			wait, _ := time.ParseDuration(resp.Header.Get("Retry-After") + "s")
			select {
			case <-ctx.Done():
				return session{}, ctx.Err()
			case <-time.After(max(wait, time.Second)):
			}
			continue
		}
		if resp.StatusCode != http.StatusOK {
			add(sample{kind: KindLogin, ms: since(start), err: fmt.Sprintf("%d %s", resp.StatusCode, out.Detail)})
			return session{}, fmt.Errorf("%d %s", resp.StatusCode, out.Detail)
		}
		add(sample{kind: KindLogin, ms: since(start)})
		for _, c := range resp.Cookies() {
			if c.Name == auth.CookieName {
				return session{cookie: c.Value, csrf: out.CSRFToken}, nil
			}
		}
		return session{}, errors.New("the login answer set no session cookie")
	}
}

func since(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }

// client is one simulated user agent.
type client struct {
	t   *target
	s   session
	rng *rand.Rand
	add func(sample)

	caseID    domain.CaseID
	exhibitID domain.ExhibitID
	scans     []domain.ScanID
}

// loop sets up the client's case and exhibit, then sends requests until
// the deadline, returning the acknowledged uploads.
func (c *client) loop(ctx context.Context, i int, deadline time.Time, files []file, next *atomic.Int64) []ack {
	var acks []ack
	var cs struct {
		ID domain.CaseID `json:"id"`
	}
	number := fmt.Sprintf("LOAD-%d-%d-%d", c.t.cfg.Seed, time.Now().UnixNano(), i)
	if !c.call(ctx, KindSetup, http.MethodPost, "/api/cases", jsonBody(map[string]string{"number": number, "title": "load test"}), "application/json", &cs) {
		return nil
	}
	var ex struct {
		ID domain.ExhibitID `json:"id"`
	}
	if !c.call(ctx, KindSetup, http.MethodPost, "/api/cases/"+string(cs.ID)+"/exhibits",
		jsonBody(map[string]any{"label": "E1", "kind": "cartridge_case", "role": "crime_scene", "class": map[string]string{"calibre": "9mm Luger"}}), "application/json", &ex) {
		return nil
	}
	c.caseID, c.exhibitID = cs.ID, ex.ID
	total := c.t.cfg.Upload + c.t.cfg.Search + c.t.cfg.View
	for time.Now().Before(deadline) && ctx.Err() == nil {
		r := c.rng.IntN(total)
		switch {
		case r < c.t.cfg.Upload:
			k := int(next.Add(1)-1) % len(files)
			f := files[k]
			body, ct := multipartBody(f, map[string]string{})
			var up struct {
				Scan struct {
					ID       domain.ScanID `json:"id"`
					Original string        `json:"original"`
				} `json:"scan"`
			}
			if c.call(ctx, KindUpload, http.MethodPost, "/api/exhibits/"+string(c.exhibitID)+"/scans", body, ct, &up) && up.Scan.ID != "" {
				acks = append(acks, ack{scan: up.Scan.ID, sum: f.sum})
				c.scans = append(c.scans, up.Scan.ID)
			}
		case r < c.t.cfg.Upload+c.t.cfg.Search:
			f := files[c.rng.IntN(min(len(files), 6))]
			body, ct := multipartBody(f, map[string]string{"kind": "cartridge", "k": "3"})
			c.call(ctx, KindSearch, http.MethodPost, "/api/search", body, ct, nil)
		default:
			c.call(ctx, KindView, http.MethodGet, c.viewPath(), nil, "", nil)
		}
	}
	return acks
}

// viewPath picks a page the workstation shows.
func (c *client) viewPath() string {
	pages := []string{"/api/cases?limit=20", "/api/cases/" + string(c.caseID), "/api/exhibits/" + string(c.exhibitID) + "/scans",
		"/api/runs?limit=20", "/api/me", "/api/exhibits/" + string(c.exhibitID) + "/custody"}
	if len(c.scans) > 0 {
		sc := c.scans[c.rng.IntN(len(c.scans))]
		pages = append(pages, "/api/scans/"+string(sc), "/api/scans/"+string(sc)+"/thumbnail?width=160")
	}
	return pages[c.rng.IntN(len(pages))]
}

func jsonBody(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func multipartBody(f file, fields map[string]string) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		mw.WriteField(k, fields[k])
	}
	w, _ := mw.CreateFormFile("file", f.name)
	w.Write(f.data)
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// call sends one request, records its latency and outcome, and decodes a
// successful JSON answer into out. It reports success (2xx).
func (c *client) call(ctx context.Context, kind, method, path string, body []byte, contentType string, out any) bool {
	start := time.Now()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.t.url+path, rd)
	if err != nil {
		c.add(sample{kind: kind, ms: since(start), err: err.Error()})
		return false
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: c.s.cookie})
	if method != http.MethodGet {
		req.Header.Set(auth.CSRFHeader, c.s.csrf)
	}
	resp, err := c.t.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return false // stopped from outside: not the server's error
		}
		c.add(sample{kind: kind, ms: since(start), err: err.Error()})
		return false
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	ms := since(start)
	if err != nil {
		c.add(sample{kind: kind, ms: ms, err: "reading the answer: " + err.Error()})
		return false
	}
	if resp.StatusCode >= 300 {
		c.add(sample{kind: kind, ms: ms, err: fmt.Sprintf("%s %s: %d %.200s", method, path, resp.StatusCode, data)})
		return false
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			c.add(sample{kind: kind, ms: ms, err: fmt.Sprintf("%s %s: undecodable answer: %v", method, path, err)})
			return false
		}
	}
	c.add(sample{kind: kind, ms: ms})
	return true
}

// check looks up every acknowledged upload and verifies the audit chain:
// in process after the server has shut down (which signs a checkpoint),
// or through the API of a server given by URL.
func (t *target) check(ctx context.Context, rep *Report, acks []ack) {
	if t.node != nil {
		t.shutdown()
		for _, a := range acks {
			sc, err := t.node.Store.Scan(ctx, t.node.Agency.ID, a.scan)
			if err != nil || sc.Original.String() != a.sum {
				rep.Lost++
				continue
			}
			data, err := blob.ReadAll(ctx, t.node.Blobs, sc.Original)
			if err != nil || blob.RefOf(data).String() != a.sum {
				rep.Lost++
			}
		}
		var keys []ed25519.PublicKey
		if k, err := audit.LoadKey(filepath.Join(t.node.Cfg.DataDir, audit.KeyFile)); err == nil {
			keys = append(keys, k.Public().(ed25519.PublicKey))
		}
		ar, err := audit.Verify(ctx, t.node.Store, keys...)
		if err != nil {
			rep.AuditChecked = "not checked: " + err.Error()
			return
		}
		rep.Audit, rep.AuditChecked = &ar, "in process, against the node's public key"
		return
	}
	if len(t.sessions) == 0 {
		rep.Lost = len(acks)
		rep.AuditChecked = "not checked: no session"
		return
	}
	c := &client{t: t, s: t.sessions[0], add: func(sample) {}}
	for _, a := range acks {
		var sc struct {
			Original string `json:"original"`
		}
		if !c.call(ctx, KindView, http.MethodGet, "/api/scans/"+string(a.scan), nil, "", &sc) || sc.Original != a.sum {
			rep.Lost++
		}
	}
	var ar audit.Report
	if c.call(ctx, KindView, http.MethodGet, "/api/audit/verify", nil, "", &ar) {
		rep.Audit, rep.AuditChecked = &ar, "via the API (verify-audit)"
	} else {
		rep.AuditChecked = "not checked: the user may not verify the audit log (needs verifier or administrator)"
	}
}
