package main

import (
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// newProgressBar is the one progress display of the long-running commands.
// On a terminal it redraws often; written to a log (CI, a pipe) it updates
// at most every 15 s so the log keeps a readable trail of progress and ETA
// instead of thousands of redraws.
func newProgressBar(w io.Writer, total int, desc string, extra ...progressbar.Option) *progressbar.ProgressBar {
	throttle := 200 * time.Millisecond
	if !isTerminal(w) {
		throttle = 15 * time.Second
	}
	opts := append([]progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(throttle),
	}, extra...)
	return progressbar.NewOptions(total, opts...)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
