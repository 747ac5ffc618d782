package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tracemark/tracemark/internal/domain"
	"github.com/tracemark/tracemark/internal/jobs"
	"github.com/tracemark/tracemark/internal/search"
	"github.com/tracemark/tracemark/internal/store"
)

// A sharded coarse stage across processes: each shard worker holds the
// index entries with search.ShardOf(id, n) == i and answers coarse queries
// on the request name ShardName(i) (core NATS request-reply through
// jobs.Queue); the querying node asks every shard through a RemoteShard
// each, merged by search.Shards, and runs the full comparison itself.

// ShardName is the request name shard i answers on.
func ShardName(i int) string { return "search.shard." + strconv.Itoa(i) }

// ParseShard reads a shard option "i/n" (0 ≤ i < n).
func ParseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	if ok {
		i, err = strconv.Atoi(a)
		if err == nil {
			n, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("shard %q: want i/n with 0 ≤ i < n, e.g. 0/3", s)
	}
	return i, n, nil
}

// shardRequest is a coarse query on the wire. search.Query.Exclude is a
// function and cannot travel: the querying node sends the ids instead.
type shardRequest struct {
	Agency         domain.AgencyID `json:"agency"`
	Features       []byte          `json:"features"` // search.Features.MarshalBinary
	Class          search.Class    `json:"class"`
	K              int             `json:"k"`
	Rerank         int             `json:"rerank,omitempty"`
	Hypotheses     int             `json:"hypotheses,omitempty"`
	MaxRotationDeg float64         `json:"max_rotation_deg,omitempty"`
	Exclude        []string        `json:"exclude,omitempty"`
}

type shardReply struct {
	Candidates []search.Candidate `json:"candidates"`
	Compatible int                `json:"compatible"`
	Reranked   int                `json:"reranked"`
}

type excludeIDsKey struct{}

// WithExcludeIDs returns a context whose coarse queries through a
// RemoteShard leave out ids. It must list every id the query's Exclude
// function reports (the query scan and its exhibit's scans): a
// RemoteShard refuses a query with an Exclude function and no id list
// rather than return the query's own exhibit.
func WithExcludeIDs(ctx context.Context, ids []string) context.Context {
	return context.WithValue(ctx, excludeIDsKey{}, ids)
}

// RemoteShard is one shard worker's coarse stage, as a search.Coarse.
type RemoteShard struct {
	Queue  *jobs.Queue
	Shard  int
	Agency domain.AgencyID
}

// Query implements search.Coarse.
func (r RemoteShard) Query(ctx context.Context, q search.Query) ([]search.Candidate, search.Stats, error) {
	var st search.Stats
	if q.Features == nil {
		return nil, st, errors.New("remote shard: query without features")
	}
	ids, listed := ctx.Value(excludeIDsKey{}).([]string)
	if q.Exclude != nil && !listed {
		return nil, st, errors.New("remote shard: the query's exclusions must be listed as ids (WithExcludeIDs)")
	}
	feat, err := q.Features.MarshalBinary()
	if err != nil {
		return nil, st, fmt.Errorf("remote shard: encoding the query features: %w", err)
	}
	body, err := json.Marshal(shardRequest{Agency: r.Agency, Features: feat, Class: q.Class, K: q.K, Rerank: q.Rerank,
		Hypotheses: q.Hypotheses, MaxRotationDeg: q.MaxRotationDeg, Exclude: ids})
	if err != nil {
		return nil, st, fmt.Errorf("remote shard: encoding the query: %w", err)
	}
	out, err := r.Queue.Request(ctx, ShardName(r.Shard), body)
	if err != nil {
		return nil, st, err
	}
	var rep shardReply
	if err := json.Unmarshal(out, &rep); err != nil {
		return nil, st, fmt.Errorf("remote shard %d: bad reply: %w", r.Shard, err)
	}
	return rep.Candidates, search.Stats{Compatible: rep.Compatible, Reranked: rep.Reranked}, nil
}

// ServeShard answers the coarse queries of shard i on q until ctx ends,
// concurrency at a time, with the coarse stage of the request's agency
// from corpus (nil: the agency has nothing in this shard, so no
// candidates).
func ServeShard(ctx context.Context, q *jobs.Queue, i, concurrency int, corpus func(context.Context, domain.AgencyID) (search.Coarse, error)) error {
	return q.Respond(ctx, ShardName(i), concurrency, func(ctx context.Context, body []byte) ([]byte, error) {
		req, f, err := decodeShardRequest(body)
		if err != nil {
			return nil, fmt.Errorf("shard %d: %w", i, err)
		}
		c, err := corpus(ctx, req.Agency)
		if err != nil {
			return nil, fmt.Errorf("shard %d: %w", i, err)
		}
		var rep shardReply
		if c != nil {
			exclude := make(map[string]bool, len(req.Exclude))
			for _, id := range req.Exclude {
				exclude[id] = true
			}
			cands, st, err := c.Query(ctx, search.Query{Features: f, Class: req.Class, K: req.K, Rerank: req.Rerank,
				Hypotheses: req.Hypotheses, MaxRotationDeg: req.MaxRotationDeg, Exclude: func(id string) bool { return exclude[id] }})
			if err != nil {
				return nil, fmt.Errorf("shard %d: %w", i, err)
			}
			rep = shardReply{Candidates: cands, Compatible: st.Compatible, Reranked: st.Reranked}
		}
		return json.Marshal(rep)
	})
}

// decodeShardRequest reads a coarse query from the wire.
func decodeShardRequest(body []byte) (shardRequest, *search.Features, error) {
	var req shardRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return req, nil, fmt.Errorf("bad request: %w", err)
	}
	f := new(search.Features)
	if err := f.UnmarshalBinary(req.Features); err != nil {
		return req, nil, fmt.Errorf("query features: %w", err)
	}
	return req, f, nil
}

// inShard reports whether a shard worker's Correlator indexes e (always
// without WithShard).
func (c *Correlator) inShard(e store.SearchEntry) bool {
	if c.shards <= 1 {
		return true
	}
	id := string(e.Scan)
	if e.Kind == domain.KindBullet { // a bullet is indexed by exhibit
		id = string(e.Exhibit)
	}
	return search.ShardOf(id, c.shards) == c.shard
}

// exhibitIndexIDs lists the index ids of the exhibit's scans.
func (c *Correlator) exhibitIndexIDs(ex domain.ExhibitID) []string {
	if ex == "" {
		return nil
	}
	var ids []string
	c.mu.RLock()
	defer c.mu.RUnlock()
	for id, e := range c.entries {
		if e.exhibit == ex {
			ids = append(ids, id)
		}
	}
	return ids
}

// ServeShard answers the coarse queries of this shard worker's Correlator
// (WithShard) on q until ctx ends, concurrency at a time. Before each
// query it loads the scans stored since (one query of the store, as a
// correlation worker does before each job), so that it sees what other
// processes ingested.
func (c *Correlator) ServeShard(ctx context.Context, q *jobs.Queue, concurrency int) error {
	if c.shards < 1 {
		return errors.New("serve shard: the corpus is not sharded (WithShard)")
	}
	if c.remote != nil {
		return errors.New("serve shard: a corpus with remote shards holds no index rows to serve")
	}
	return ServeShard(ctx, q, c.shard, concurrency, func(ctx context.Context, a domain.AgencyID) (search.Coarse, error) {
		if err := c.Load(ctx); err != nil {
			return nil, err
		}
		c.mu.RLock()
		defer c.mu.RUnlock()
		if ac := c.agencies[a]; ac != nil {
			return ac.idx, nil
		}
		return nil, nil
	})
}

// shardOptions returns the Correlator options of the node's configuration
// (Config.Shard, Config.RemoteShards).
func (n *Node) shardOptions() ([]CorrelatorOption, error) {
	opts := []CorrelatorOption{WithFeatureWriter(n.Blobs)}
	cfg := n.Cfg
	if cfg.Shard != "" {
		i, sn, err := ParseShard(cfg.Shard)
		if err != nil {
			return nil, err
		}
		if cfg.RemoteShards > 0 {
			return nil, errors.New("a shard worker (shard option) cannot also query remote shards")
		}
		if cfg.Workers > 0 {
			return nil, errors.New("a shard worker holds part of the corpus and must run no correlation jobs: set workers to -1")
		}
		if n.Queue == nil {
			return nil, errors.New("a shard worker answers through the queue: it needs one")
		}
		opts = append(opts, WithShard(i, sn))
	}
	if cfg.RemoteShards < 0 {
		return nil, fmt.Errorf("remote shards %d: want 0 (none) or the number of shard workers", cfg.RemoteShards)
	}
	if cfg.RemoteShards > 0 {
		if n.Queue == nil {
			return nil, errors.New("remote shards are reached through the queue: the node needs one")
		}
		opts = append(opts, WithRemoteShards(n.Queue, cfg.RemoteShards))
	}
	return opts, nil
}
