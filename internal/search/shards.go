package search

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"sync"
)

// Shards is a coarse stage split into parts, each holding a disjoint share
// of the corpus (split by ShardOf): an in-process *Index or a remote worker.
// Query asks every part concurrently and merges their candidates.
//
// The merge of the parts' top K by the coarse score is exact: a
// candidate's Score (the normalised cross-correlation of the registration
// maps at the best rotation and shift swept) depends only on the query and
// that candidate, never on the rest of the corpus, so it is the same
// number in whichever part the candidate lives, and the global top K is
// within the union of the parts' top K. The cut of the exhaustive scan
// before the rotation sweep (Query.Rerank) is per part: each part sweeps
// its own best Rerank, so N parts sweep N×Rerank rows, a superset of the
// rows one index would sweep. A sharded search therefore finds every
// candidate an unsharded one finds, with the same score, and may find
// more (a row just below one index's Rerank cut): it is never worse, and
// it costs N× the sweep's CPU (each part's sweep runs on its own machine).
//
// Stats add up over the parts. A candidate reported by several parts (an
// exhibit being moved between shards) is kept once. Shards is safe for
// concurrent use when its parts are.
type Shards []Coarse

// Query implements Coarse: every part runs q concurrently; the first
// error (with the part's number) cancels the others and is returned, and
// so is ctx's when it ends first. K defaults to 100, as Index.Query's.
func (s Shards) Query(ctx context.Context, q Query) ([]Candidate, Stats, error) {
	if len(s) == 0 {
		return nil, Stats{}, errors.New("search: shards: no parts to query")
	}
	for i, p := range s {
		if p == nil {
			return nil, Stats{}, fmt.Errorf("search: shards: part %d of %d is nil", i, len(s))
		}
	}
	k := q.K
	if k <= 0 {
		k = 100
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		all      []Candidate
		st       Stats
		wg       sync.WaitGroup
	)
	for i, p := range s {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cands, pst, err := p.Query(ctx, q)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("search: shard %d of %d: %w", i, len(s), err)
					cancel()
				}
				return
			}
			all = append(all, cands...)
			st.Compatible += pst.Compatible
			st.Reranked += pst.Reranked
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, Stats{}, firstErr
	}
	if err := ctx.Err(); err != nil { // a part that ignored the cancellation
		return nil, Stats{}, err
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Score != all[j].Score {
			return all[i].Score > all[j].Score
		}
		return all[i].ID < all[j].ID
	})
	out := all[:0]
	seen := make(map[string]bool, min(len(all), k))
	for _, c := range all {
		if len(out) == k {
			break
		}
		if !seen[c.ID] {
			seen[c.ID] = true
			out = append(out, c)
		}
	}
	return out, st, nil
}

// ShardOf returns the shard, in [0, n), that holds the exhibit id when the
// corpus is split n ways: the 32-bit FNV-1a hash of the id modulo n. It
// depends only on the id and n, so every process agrees on it without
// coordination and a worker can load only its part; n ≤ 1 gives 0.
// Changing n moves about (n−1)/n of the exhibits.
func ShardOf(id string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(id)) // never fails
	return int(h.Sum32() % uint32(n))
}
