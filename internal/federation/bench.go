package federation

import (
	"context"
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
	"syscall"
	"time"

	"github.com/tracemark/tracemark/internal/audit"
	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/blob/local"
	"github.com/tracemark/tracemark/internal/compare/cartridge"
	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/exchange"
	"github.com/tracemark/tracemark/internal/ingest"
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
	Full     int
	Seed     uint64
	Progress func(stage string, done, total int)
	// Profile, when set, receives a CPU profile (pprof) of the timed
	// searches only.
	Profile io.Writer
}

// BenchReport is what RunBench measured.
type BenchReport struct {
	Nodes        int       `json:"nodes"`
	ExhibitsEach int       `json:"exhibits_per_node"`
	Distinct     int       `json:"distinct_signatures"`
	Full         int       `json:"full_comparisons_per_node"`
	SetupSeconds float64   `json:"setup_seconds"`
	LatencyMS    []float64 `json:"latency_ms"` // each federated search, as the asker saw it
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
	Notes        []string  `json:"notes"`
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
	progress := cfg.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}
	t0 := time.Now()
	const shots = 4
	// Distinct signatures, as the search bench builds its bulk corpus:
	// synthetic firings at 12.5 µm, features computed directly.
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
			progress("signatures", done*shots, firearms*shots)
		}()
	}
	wg.Wait()
	if genErr != nil {
		return nil, genErr
	}
	// The full comparison's candidates: a pool of prepared synthetic
	// surfaces, so each comparison costs what a real one costs, without the
	// blob loading of a server (not timed here).
	pool, query, err := benchSurfaces(cfg.Seed)
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var nodes []*benchNode
	defer func() {
		for _, n := range nodes {
			n.close()
		}
	}()
	for i := range cfg.Nodes {
		n, err := startBenchNode(ctx, filepath.Join(cfg.Dir, fmt.Sprintf("node%d", i)), fmt.Sprintf("node-%d", i), "Z"+string(rune('A'+i)), max(cfg.Full, 5), quiet)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
		if err := n.fill(ctx, cfg, feats, pool, func(d int) { progress(fmt.Sprintf("node %d exhibits", i+1), d, cfg.Exhibits) }); err != nil {
			return nil, err
		}
	}
	asker, err := startBenchNode(ctx, filepath.Join(cfg.Dir, "asker"), "asker", "ZZ", 0, quiet)
	if err != nil {
		return nil, err
	}
	nodes = append(nodes, asker)
	for _, n := range nodes[:cfg.Nodes] {
		if err := trustEachOther(ctx, asker, n); err != nil {
			return nil, err
		}
		if _, err := n.st.CreateSharingRule(ctx, exchange.SharingRule{Owner: n.agency.ID, Peer: asker.fed.Card().Fingerprint,
			Kinds: []exchange.RecordKind{exchange.ShareExhibits}, Detail: exchange.DetailScores}); err != nil {
			return nil, err
		}
	}
	out := Outgoing{Agency: asker.agency.ID, Kind: "cartridge", Features: query.features, Processed: query.processed, Name: "bench query", K: cfg.K, Full: cfg.Full, Want: exchange.DetailScores}
	rep := &BenchReport{Nodes: cfg.Nodes, ExhibitsEach: cfg.Exhibits, Distinct: len(feats), Full: cfg.Full, CPUs: runtime.GOMAXPROCS(0),
		SetupSeconds: time.Since(t0).Seconds(), Notes: []string{
			"every node runs in this one process and shares its CPUs: the nodes' searches compete for the cores that separate machines would each have",
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
	for q := range cfg.Queries {
		cpu0 := cpuMS()
		res, err := asker.fed.Search(ctx, out)
		if err != nil {
			return nil, err
		}
		rep.CPUMS = append(rep.CPUMS, cpuMS()-cpu0)
		rep.LatencyMS = append(rep.LatencyMS, res.ElapsedMS)
		rep.Candidates, rep.FailedPeers = len(res.Candidates), rep.FailedPeers+res.Failed
		for _, p := range res.Peers {
			for i, n := range nodes[:cfg.Nodes] {
				if p.Node == n.name {
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
	pipe, err := search.NewPipeline(idx, poolSource(pool), nil, search.PipelineConfig{K: 100, Full: max(cfg.Full, 1), Cartridge: &ccfg})
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
func cpuMS() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}

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
