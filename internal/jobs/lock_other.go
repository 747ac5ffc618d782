//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package jobs

// dirLock is a no-op where flock is missing (Windows): there, nothing stops
// two processes from opening one DataDir, and the caller must ensure it does
// not happen.
type dirLock struct{}

func lockDir(string) (*dirLock, error) { return &dirLock{}, nil }

func (*dirLock) release() {}
