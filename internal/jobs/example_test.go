package jobs_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tracemark/tracemark/internal/jobs"
)

// An embedded queue under the data directory: enqueue a correlation job for
// a new exhibit and run a worker until the job is done.
func Example() {
	data, err := os.MkdirTemp("", "tracemark-data")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(data)

	ctx := context.Background()
	q, err := jobs.Open(ctx, jobs.Config{DataDir: filepath.Join(data, "nats")})
	if err != nil {
		panic(err)
	}
	defer q.Close()

	// A re-ingest of the same exhibit within the dedup window is dropped.
	for range 2 {
		if err := q.Enqueue(ctx, "correlate", []byte("exhibit-42"), "exhibit-42"); err != nil {
			panic(err)
		}
	}

	ctx, stop := context.WithCancel(ctx)
	err = q.Work(ctx, "correlate", 2, func(_ context.Context, job jobs.Job) error {
		fmt.Printf("correlating %s (attempt %d)\n", job.Payload, job.Attempt)
		stop() // one job in this example; a server runs until shutdown
		return nil
	})
	if err != nil {
		panic(err)
	}
	st, err := q.Stats(context.Background(), "correlate")
	if err != nil {
		panic(err)
	}
	fmt.Printf("pending %d, in flight %d\n", st.Pending, st.InFlight)
	// Output:
	// correlating exhibit-42 (attempt 1)
	// pending 0, in flight 0
}
