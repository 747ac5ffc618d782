package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"sync"
	"time"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/blob/local"
	"github.com/tracemark/tracemark/internal/compare/cartridge"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/exchange"
	"github.com/tracemark/tracemark/internal/ingest"
	"github.com/tracemark/tracemark/internal/procstat"
	"github.com/tracemark/tracemark/internal/search"
	"github.com/tracemark/tracemark/internal/store"
	"github.com/tracemark/tracemark/internal/synth"
)

// BenchConfig configures RunBench.
type BenchConfig struct {
	Dir      string // working folder for the nodes' databases and keys (required; emptied by the caller)
	Nodes    int    // answering nodes (default 3)
	Exhibits int    // exhibits per node (default 10,000)
	// Distinct is the number of distinct synthetic signatures generated
	// (default 1,000); the node's exhibits cycle through them. The coarse
	// stage's cost depends on the count, not on distinctness.
	Distinct int
	Queries  int // federated searches timed (default 5)
	K        int // candidates per node (default 10)
	// Full is the full engine comparisons per node the asker asks for
	// (default DefaultFull, as a federated search does; -1: coarse only).
	// The nodes allow up to max(Full, 5).
	Full int
	// Rerank, when positive, sets the nodes' coarse rerank depth
	// (search.PipelineConfig.Rerank; default the pipeline's, as a server).
	Rerank   int
	Seed     uint64
	Progress func(stage string, done, total int)
	// Profile, when set, receives a CPU profile (pprof) of the timed
	// searches only (of this process: the asker, and the answering nodes
	// unless they run in processes of their own).
	Profile io.Writer
	// Spawn, when set, starts answering node i in a process of its own
	// (which runs ServeBenchNode), as separate machines would: the nodes
	// no longer share one Go runtime, and their CPU is read from /proc.
	Spawn func(ctx context.Context, i int) (*BenchProcess, error)
}

// BenchReport is what RunBench measured.
type BenchReport struct {
	Nodes        int     `json:"nodes"`
	ExhibitsEach int     `json:"exhibits_per_node"`
	Distinct     int     `json:"distinct_signatures"`
	Full         int     `json:"full_comparisons_per_node"`
	SetupSeconds float64 `json:"setup_seconds"`
	Rerank       int     `json:"rerank,omitempty"` // coarse rerank depth when set
	// ColdMS and ColdCPUMS are the first search after the nodes started
	// (FFT plans and comparers made, memory touched), not in LatencyMS.
	ColdMS    float64   `json:"cold_ms"`
	ColdCPUMS float64   `json:"cold_cpu_ms"`
	LatencyMS []float64 `json:"latency_ms"` // each federated search, as the asker saw it
	// CPUMS is the CPU time of this process (all nodes) per search: the
	// work, whatever the machine's load.
	CPUMS        []float64 `json:"cpu_ms"`
	CPUMedianMS  float64   `json:"cpu_median_ms"`
	LoadAvg1     float64   `json:"load_avg_1"`
	MedianMS     float64   `json:"median_ms"`
	MaxMS        float64   `json:"max_ms"`
	PeerMedianMS []float64 `json:"peer_median_ms"` // per answering node
	Candidates   int       `json:"candidates_last_query"`
	FailedPeers  int       `json:"failed_peers"`
	CPUs         int       `json:"cpus"`
	Processes    bool      `json:"processes"` // answering nodes in processes of their own
	Notes        []string  `json:"notes"`
}

// BenchProcess is an answering node running in a process of its own:
// ServeBenchNode at the other end of In and Out.
type BenchProcess struct {
	In   io.WriteCloser // closing it stops the node
	Out  io.Reader
	PID  int
	Wait func() error
}

func (cfg *BenchConfig) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.Nodes, 3)
	def(&cfg.Exhibits, 10_000)
	def(&cfg.Distinct, 1_000)
	def(&cfg.Queries, 5)
	def(&cfg.K, 10)
	def(&cfg.Full, DefaultFull)
	cfg.Distinct = min(cfg.Distinct, cfg.Exhibits)
	if cfg.Progress == nil {
		cfg.Progress = func(string, int, int) {}
	}
}

// RunBench starts Nodes answering nodes on loopback (each its own SQLite
// database, keys and TLS certificate, Exhibits synthetic cartridge cases
// shared with the asker) and one asking node, and times federated
// searches over mutual TLS: each node runs the real search pipeline
// (class prefilter, coarse signature stage over all its exhibits, full
// comparison of the best Full, as the request asks).
func RunBench(ctx context.Context, cfg BenchConfig) (*BenchReport, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("federation: bench: a working folder is required")
	}
	cfg.defaults()
	progress := cfg.Progress
	t0 := time.Now()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	asker, err := startBenchNode(ctx, filepath.Join(cfg.Dir, "asker"), "asker", "ZZ", 0, quiet)
	if err != nil {
		return nil, err
	}
	defer asker.close()
	_, query, err := benchSurfaces(cfg.Seed)
	if err != nil {
		return nil, err
	}
	var (
		local  []*benchNode  // answering nodes in this process
		remote []*remoteNode // or in processes of their own
		names  []string      // the answering nodes' names, in order
	)
	defer func() {
		for _, n := range local {
			n.close()
		}
		for _, r := range remote {
			r.stop()
		}
	}()
	if cfg.Spawn != nil {
		for i := range cfg.Nodes {
			r, err := spawnBenchNode(ctx, cfg, i, asker)
			if err != nil {
				return nil, err
			}
			remote = append(remote, r)
			names = append(names, r.card.Node)
		}
	} else {
		feats, pool, err := benchCorpus(cfg)
		if err != nil {
			return nil, err
		}
		for i := range cfg.Nodes {
			n, err := buildBenchNode(ctx, cfg, i, feats, pool, quiet)
			if err != nil {
				return nil, err
			}
			local = append(local, n)
			names = append(names, n.name)
			if err := trustEachOther(ctx, asker, n); err != nil {
				return nil, err
			}
			if err := n.shareWith(ctx, asker.fed.Card()); err != nil {
				return nil, err
			}
		}
	}
	out := Outgoing{Agency: asker.agency.ID, Kind: "cartridge", Features: query.features, Processed: query.processed, Name: "bench query", K: cfg.K, Full: cfg.Full, Want: exchange.DetailScores}
	where := "every node runs in this one process and shares its CPUs: the nodes' searches compete for the cores that separate machines would each have"
	if cfg.Spawn != nil {
		where = "each answering node runs in a process of its own (the asker in this one), all on this machine's CPUs; CPU is the asker's plus the nodes' (/proc)"
	}
	rep := &BenchReport{Nodes: cfg.Nodes, ExhibitsEach: cfg.Exhibits, Distinct: cfg.Distinct, Full: cfg.Full, Rerank: cfg.Rerank, CPUs: runtime.GOMAXPROCS(0),
		Processes: cfg.Spawn != nil, SetupSeconds: time.Since(t0).Seconds(), Notes: []string{
			where,
			"per node: coarse signature stage over all its exhibits, then the full cartridge comparison of the best `full` candidates against prepared surfaces held in memory (a server also loads them from its blob store, cached)",
			"exhibits cycle through the distinct synthetic signatures: latency, not ranking, is measured here (see tracemark bench search for accuracy)",
			"detail: scores (no thumbnails rendered)",
		}}
	peerMS := make([][]float64, cfg.Nodes)
	if cfg.Profile != nil {
		if err := pprof.StartCPUProfile(cfg.Profile); err != nil {
			return nil, fmt.Errorf("federation: bench: CPU profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	cpuAll := func() float64 {
		ms := cpuMS()
		for _, r := range remote {
			ms += processCPUMS(r.pid)
		}
		return ms
	}
	cpu0 := cpuAll()
	cold, err := asker.fed.Search(ctx, out)
	if err != nil {
		return nil, err
	}
	rep.ColdMS, rep.ColdCPUMS = cold.ElapsedMS, cpuAll()-cpu0
	for q := range cfg.Queries {
		cpu0 := cpuAll()
		res, err := asker.fed.Search(ctx, out)
		if err != nil {
			return nil, err
		}
		rep.CPUMS = append(rep.CPUMS, cpuAll()-cpu0)
		rep.LatencyMS = append(rep.LatencyMS, res.ElapsedMS)
		rep.Candidates, rep.FailedPeers = len(res.Candidates), rep.FailedPeers+res.Failed
		for _, p := range res.Peers {
			for i, name := range names {
				if p.Node == name {
					peerMS[i] = append(peerMS[i], p.ElapsedMS)
				}
			}
			if !p.OK {
				rep.Notes = append(rep.Notes, "query "+fmt.Sprint(q+1)+": peer "+p.Node+" failed: "+p.Error)
			}
		}
		progress("federated searches", q+1, cfg.Queries)
	}
	rep.MedianMS, rep.MaxMS, rep.CPUMedianMS = median(rep.LatencyMS), maxOf(rep.LatencyMS), median(rep.CPUMS)
	rep.LoadAvg1 = loadAvg1()
	for _, v := range peerMS {
		rep.PeerMedianMS = append(rep.PeerMedianMS, median(v))
	}
	return rep, nil
}

// benchCorpus makes the distinct signatures the nodes' exhibits cycle
// through, as the search bench builds its bulk corpus (synthetic firings
// at 12.5 µm, features computed directly), and the pool of prepared
// surfaces the full comparisons use (so each costs what a real one costs,
// without a server's blob loading, which is not timed here).
func benchCorpus(cfg BenchConfig) ([]*search.Features, []*cartridge.Prepared, error) {
	const shots = 4
	firearms := (cfg.Distinct + shots - 1) / shots
	feats := make([]*search.Features, firearms*shots)
	var mu sync.Mutex
	var genErr error
	done := 0
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for g := range firearms {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			scans, err := synth.Cartridges(synth.CartridgeConfig{Firearms: 1, Shots: shots, Seed: cfg.Seed + uint64(g)*7919 + 1, SpacingUM: 12.5, SizePX: 200, RotationRangeDeg: 15})
			sg := search.NewSigner()
			for s := 0; err == nil && s < len(scans); s++ {
				feats[g*shots+s], err = sg.Cartridge(scans[s].Surface)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil && genErr == nil {
				genErr = fmt.Errorf("federation: bench: synthetic firearm %d: %w", g, err)
			}
			done++
			cfg.Progress("signatures", done*shots, firearms*shots)
		}()
	}
	wg.Wait()
	if genErr != nil {
		return nil, nil, genErr
	}
	pool, _, err := benchSurfaces(cfg.Seed)
	return feats, pool, err
}

// buildBenchNode starts answering node i and fills it.
func buildBenchNode(ctx context.Context, cfg BenchConfig, i int, feats []*search.Features, pool []*cartridge.Prepared, log *slog.Logger) (*benchNode, error) {
	n, err := startBenchNode(ctx, filepath.Join(cfg.Dir, fmt.Sprintf("node%d", i)), fmt.Sprintf("node-%d", i), "Z"+string(rune('A'+i)), max(cfg.Full, 5), log)
	if err != nil {
		return nil, err
	}
	if err := n.fill(ctx, cfg, feats, pool, func(d int) { cfg.Progress(fmt.Sprintf("node %d exhibits", i+1), d, cfg.Exhibits) }); err != nil {
		n.close()
		return nil, err
	}
	return n, nil
}

// shareWith trusts the asker's card and lets it search the node's
// exhibits (scores).
func (n *benchNode) shareWith(ctx context.Context, asker Card) error {
	_, err := n.st.CreateSharingRule(ctx, exchange.SharingRule{Owner: n.agency.ID, Peer: asker.Fingerprint,
		Kinds: []exchange.RecordKind{exchange.ShareExhibits}, Detail: exchange.DetailScores})
	return err
}

// ServeBenchNode is answering node i of a bench in a process of its own
// (BenchConfig.Spawn): it builds and fills the node, writes its card as
// one JSON line to out, reads the asker's card as one JSON line from in,
// trusts it and shares with it, writes "ready", and serves until in ends.
func ServeBenchNode(ctx context.Context, cfg BenchConfig, i int, in io.Reader, out io.Writer) error {
	cfg.defaults()
	feats, pool, err := benchCorpus(cfg)
	if err != nil {
		return err
	}
	n, err := buildBenchNode(ctx, cfg, i, feats, pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer n.close()
	enc := json.NewEncoder(out)
	if err := enc.Encode(n.fed.Card()); err != nil {
		return err
	}
	dec := json.NewDecoder(in)
	var asker Card
	if err := dec.Decode(&asker); err != nil {
		return fmt.Errorf("federation: bench node %d: reading the asker's card: %w", i, err)
	}
	p, err := asker.Peer()
	if err != nil {
		return err
	}
	if _, err := n.st.AddPeer(ctx, p); err != nil {
		return err
	}
	if err := n.shareWith(ctx, asker); err != nil {
		return err
	}
	if err := enc.Encode("ready"); err != nil {
		return err
	}
	io.Copy(io.Discard, in) // until the asker closes it
	return nil
}

// remoteNode is an answering node in a process of its own.
type remoteNode struct {
	proc *BenchProcess
	pid  int
	card Card
}

func (r *remoteNode) stop() {
	r.proc.In.Close()
	r.proc.Wait()
}

// spawnBenchNode starts node i in its own process and registers it and
// the asker with each other.
func spawnBenchNode(ctx context.Context, cfg BenchConfig, i int, asker *benchNode) (*remoteNode, error) {
	proc, err := cfg.Spawn(ctx, i)
	if err != nil {
		return nil, fmt.Errorf("federation: bench: starting node %d: %w", i, err)
	}
	r := &remoteNode{proc: proc, pid: proc.PID}
	dec := json.NewDecoder(proc.Out)
	fail := func(err error) (*remoteNode, error) {
		r.stop()
		return nil, fmt.Errorf("federation: bench: node %d: %w", i, err)
	}
	if err := dec.Decode(&r.card); err != nil {
		return fail(fmt.Errorf("reading its card: %w", err))
	}
	if err := json.NewEncoder(proc.In).Encode(asker.fed.Card()); err != nil {
		return fail(err)
	}
	var ready string
	if err := dec.Decode(&ready); err != nil || ready != "ready" {
		return fail(fmt.Errorf("not ready (%q): %v", ready, err))
	}
	p, err := r.card.Peer()
	if err != nil {
		return fail(err)
	}
	if _, err := asker.st.AddPeer(ctx, p); err != nil {
		return fail(err)
	}
	return r, nil
}

type benchQuery struct{ features, processed []byte }

// benchSurfaces prepares a pool of synthetic candidates and a query, at
// the engine's spacing, as the search bench does.
func benchSurfaces(seed uint64) ([]*cartridge.Prepared, benchQuery, error) {
	pcfg, err := cartridge.PreprocessPreset("default")
	if err != nil {
		return nil, benchQuery{}, err
	}
	pcfg.Processed = true
	ccfg := cartridge.DefaultConfig()
	scans, err := synth.Cartridges(synth.CartridgeConfig{Firearms: 2, Shots: 4, Seed: seed + 1, SpacingUM: 12.5, SizePX: 200, RotationRangeDeg: 15})
	if err != nil {
		return nil, benchQuery{}, err
	}
	var pool []*cartridge.Prepared
	var q benchQuery
	for i, sc := range scans {
		pp, err := cartridge.Preprocess(sc.Surface, pcfg)
		if err != nil {
			return nil, q, err
		}
		p, err := cartridge.Prepare(sc.Name, pp.Map, ccfg)
		if err != nil {
			return nil, q, err
		}
		pool = append(pool, p)
		if i == 0 {
			f, err := search.NewSigner().Cartridge(pp.Map)
			if err != nil {
				return nil, q, err
			}
			if q.features, err = f.MarshalBinary(); err != nil {
				return nil, q, err
			}
			if q.processed, err = ingest.EncodeSurface(pp.Map); err != nil {
				return nil, q, err
			}
		}
	}
	return pool, q, nil
}

type benchNode struct {
	searcher laterSearcher
	name     string
	dir      string
	st       *store.Store
	agency   domain.Agency
	fed      *Node
	stop     context.CancelFunc
	done     chan struct{}
}

func startBenchNode(ctx context.Context, dir, name, country string, maxFull int, log *slog.Logger) (*benchNode, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, "sqlite://"+filepath.Join(dir, "tracemark.db"))
	if err != nil {
		return nil, err
	}
	n := &benchNode{name: name, dir: dir, st: st}
	fail := func(err error) (*benchNode, error) { n.close(); return nil, err }
	if n.agency, err = st.CreateAgency(ctx, domain.Agency{Code: "LAB-" + country, Name: name, Country: country}); err != nil {
		return fail(err)
	}
	blobs, err := local.New(filepath.Join(dir, "blobs"))
	if err != nil {
		return fail(err)
	}
	id, err := exchange.LoadOrCreateIdentity(dir, exchange.NodeInfo{Node: name, AgencyID: n.agency.ID, Agency: n.agency.Code, Country: country})
	if err != nil {
		return fail(err)
	}
	cert, err := LoadOrCreateCert(dir, name, 0)
	if err != nil {
		return fail(err)
	}
	key, err := audit.LoadOrCreateKey(dir)
	if err != nil {
		return fail(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	n.fed, err = New(Config{Store: st, Blobs: blobs, Identity: id, Cert: cert, Searcher: &n.searcher, Audit: audit.New(st, key), URL: "https://" + ln.Addr().String(),
		PeerTimeout: 5 * time.Minute, MaxFull: maxFull, Log: log})
	if err != nil {
		ln.Close()
		return fail(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	n.stop, n.done = cancel, make(chan struct{})
	go func() { defer close(n.done); n.fed.Serve(sctx, ln) }()
	return n, nil
}

func (n *benchNode) close() {
	if n.stop != nil {
		n.stop()
		<-n.done
		n.stop = nil
	}
	n.st.Close()
}

func trustEachOther(ctx context.Context, a, b *benchNode) error {
	for _, pair := range [][2]*benchNode{{a, b}, {b, a}} {
		p, err := pair[1].fed.Card().Peer()
		if err != nil {
			return err
		}
		if _, err := pair[0].st.AddPeer(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

// fill stores the node's exhibits (one case; an exhibit and a scan record
// each, in one transaction) and indexes them with the cycled signatures.
func (n *benchNode) fill(ctx context.Context, cfg BenchConfig, feats []*search.Features, pool []*cartridge.Prepared, progress func(int)) error {
	idx := search.NewIndex(runtime.GOMAXPROCS(0))
	class := search.Class{Kind: search.KindCartridge, Calibre: "9mm Luger"}
	const batch = 2000
	var cas domain.Case
	for start := 0; start < cfg.Exhibits; start += batch {
		err := n.st.InTx(ctx, func(tx *store.Tx) error {
			if start == 0 {
				var err error
				if cas, err = tx.CreateCase(ctx, domain.Case{AgencyID: n.agency.ID, Number: "BENCH-1"}); err != nil {
					return err
				}
			}
			for i := start; i < min(start+batch, cfg.Exhibits); i++ {
				ex, err := tx.CreateExhibit(ctx, domain.Exhibit{AgencyID: n.agency.ID, CaseID: cas.ID, Label: fmt.Sprintf("E%06d", i),
					Kind: domain.KindCartridgeCase, Role: domain.RoleCrimeScene, Class: domain.ClassCharacteristics{Calibre: "9mm Luger"}})
				if err != nil {
					return err
				}
				content := []byte(n.name + "/" + ex.Label)
				sc, _, err := tx.PutScan(ctx, domain.Scan{AgencyID: n.agency.ID, ExhibitID: ex.ID, Original: blob.RefOf(content), Size: int64(len(content)), Format: domain.FormatX3P})
				if err != nil {
					return err
				}
				if err := idx.Add(string(sc.ID), class, feats[i%len(feats)]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("federation: bench: node %s: %w", n.name, err)
		}
		progress(min(start+batch, cfg.Exhibits))
	}
	ccfg := cartridge.DefaultConfig()
	pipe, err := search.NewPipeline(idx, poolSource(pool), nil, search.PipelineConfig{K: 100, Full: max(cfg.Full, 1), Rerank: cfg.Rerank, Cartridge: &ccfg})
	if err != nil {
		return err
	}
	n.searcher.set(pipelineSearcher{pipe: pipe, cfg: ccfg})
	return nil
}

// laterSearcher is a Searcher set once the node's corpus is built.
type laterSearcher struct {
	mu sync.RWMutex
	s  Searcher
}

func (l *laterSearcher) set(s Searcher) { l.mu.Lock(); l.s = s; l.mu.Unlock() }

func (l *laterSearcher) Search(ctx context.Context, agency domain.AgencyID, q Query) ([]Match, error) {
	l.mu.RLock()
	s := l.s
	l.mu.RUnlock()
	if s == nil {
		return nil, nil
	}
	return s.Search(ctx, agency, q)
}

// poolSource hands every candidate one of the pool's prepared surfaces.
type poolSource []*cartridge.Prepared

func (p poolSource) Prepared(_ context.Context, id string) (*cartridge.Prepared, error) {
	h := fnv.New32a()
	h.Write([]byte(id))
	return p[int(h.Sum32()%uint32(len(p)))], nil
}

// pipelineSearcher runs a search.Pipeline as a node's Searcher.
type pipelineSearcher struct {
	pipe *search.Pipeline
	cfg  cartridge.Config
}

func (s pipelineSearcher) Search(ctx context.Context, _ domain.AgencyID, q Query) ([]Match, error) {
	req := search.Request{Class: search.Class{Kind: q.Kind}, Features: q.Features, K: q.K, Full: q.Full}
	if q.Full == 0 {
		req.Full = -1 // coarse ranking only
	} else {
		p, err := cartridge.Prepare(q.Name, q.Surface, s.cfg)
		if err != nil {
			return nil, err
		}
		req.Prepared = p
	}
	res, err := s.pipe.Search(ctx, req)
	if err != nil {
		return nil, err
	}
	out := make([]Match, 0, min(len(res.Hits), q.K))
	for _, h := range res.Hits[:min(len(res.Hits), q.K)] {
		m := Match{Scan: domain.ScanID(h.ID), Compared: h.Compared, Coarse: h.Candidate.Score}
		if h.Compared {
			lr := h.Log10LR
			m.Score, m.Log10LR = h.Score, &lr
		}
		out = append(out, m)
	}
	return out, nil
}

// cpuMS is the user + system CPU time of this process, ms.
func cpuMS() float64 { return float64(procstat.SelfCPU()) / 1e6 }

// processCPUMS is the user + system CPU time of process pid, ms.
func processCPUMS(pid int) float64 { return float64(procstat.CPU(pid)) / 1e6 }

// loadAvg1 is the 1-minute load average (Linux; 0 elsewhere).
func loadAvg1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	fmt.Sscan(string(b), &l)
	return l
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
