//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package jobs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// dirLock is an advisory flock on DataDir/jobs.lock: two embedded servers on
// one store directory would corrupt it. The kernel drops the lock when the
// process dies, so a kill -9 leaves no stale lock.
type dirLock struct{ f *os.File }

func lockDir(dir string) (*dirLock, error) {
	path := filepath.Join(dir, "jobs.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("jobs: open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("jobs: %s is in use by another process (connect to its URL, see ReadURL, instead of opening it again)", dir)
		}
		return nil, fmt.Errorf("jobs: lock %s: %w", path, err)
	}
	return &dirLock{f}, nil
}

func (l *dirLock) release() {
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	l.f.Close()
}
