//go:build !unix

package jobs

// dirLock is a no-op outside Unix: there, nothing stops two processes from
// opening one DataDir, and the caller must ensure it does not happen.
type dirLock struct{}

func lockDir(string) (*dirLock, error) { return &dirLock{}, nil }

func (*dirLock) release() {}
