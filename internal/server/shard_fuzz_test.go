package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tracemark/tracemark/internal/search"
)

// FuzzShardRequest: any body a shard worker receives is either decoded into
// valid query features or refused with an error, never a panic.
func FuzzShardRequest(f *testing.F) {
	bf := &search.Features{Kind: search.KindBullet, Lands: [][]float32{make([]float32, search.LandDim)}}
	bf.Lands[0][0] = 1
	feat, err := bf.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	good, err := json.Marshal(shardRequest{Agency: "a", Features: feat, K: 10, Exclude: []string{"x"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"features":"VE1TRgMB"}`))
	f.Add([]byte(`{"k":-1,"features":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, feats, err := decodeShardRequest(body)
		if err != nil {
			if feats != nil {
				t.Fatal("features returned with an error")
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "bad request") && !strings.HasPrefix(msg, "query features") {
				t.Fatalf("error does not say what was wrong: %v", err)
			}
			return
		}
		if err := feats.Validate(); err != nil {
			t.Fatalf("decoded features are invalid: %v", err)
		}
	})
}
