package local

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/blob"
	"github.com/tracemark/tracemark/internal/blob/blobtest"
)

func TestConformance(t *testing.T) {
	blobtest.Test(t, func(t *testing.T) blob.Storage {
		s, err := New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestLayoutAndReadOnly(t *testing.T) {
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ref, _, err := s.Receive(context.Background(), strings.NewReader("x3p bytes"), 100)
	if err != nil {
		t.Fatal(err)
	}
	h := ref.Hex()
	info, err := os.Stat(filepath.Join(s.Root(), h[:2], h[2:4], h))
	if err != nil {
		t.Fatalf("blob not at its fan-out path: %v", err)
	}
	if info.Mode().Perm()&0o222 != 0 {
		t.Errorf("blob file is writable: %v", info.Mode())
	}
	if entries, _ := os.ReadDir(filepath.Join(s.Root(), "tmp")); len(entries) != 0 {
		t.Errorf("temporary files left after a successful receive: %v", entries)
	}
}

func TestFetchDetectsCorruption(t *testing.T) {
	s, err := New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("original scan, byte for byte")
	ref, _, err := s.Receive(context.Background(), bytes.NewReader(data), 100)
	if err != nil {
		t.Fatal(err)
	}
	p := s.path(ref)
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, []byte("Original scan, byte for byte"), 0o644); err != nil {
		t.Fatal(err)
	}
	rc, _, err := s.Fetch(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadAll(rc); !errors.Is(err, blob.ErrCorrupt) {
		t.Errorf("reading a tampered blob gave %v, want ErrCorrupt", err)
	}
	// A damaged copy of a different size is replaced by receiving the original again.
	os.WriteFile(p, []byte("short"), 0o644)
	if _, _, err := s.Receive(context.Background(), bytes.NewReader(data), 100); err != nil {
		t.Fatal(err)
	}
	if got, err := blob.ReadAll(context.Background(), s, ref); err != nil || !bytes.Equal(got, data) {
		t.Errorf("re-receiving did not repair the blob: %q, %v", got, err)
	}
}

func TestNewRemovesStaleTemps(t *testing.T) {
	root := t.TempDir()
	if _, err := New(root); err != nil {
		t.Fatal(err)
	}
	stale, fresh := filepath.Join(root, "tmp", "receive-old"), filepath.Join(root, "tmp", "receive-new")
	os.WriteFile(stale, []byte("half"), 0o600)
	os.WriteFile(fresh, []byte("half"), 0o600)
	old := time.Now().Add(-2 * staleTemp)
	os.Chtimes(stale, old, old)
	if _, err := New(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("stale temporary file kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Error("fresh temporary file (maybe another process's upload) removed")
	}
}

// crashChildEnv makes the test binary act as the crashing writer.
const crashChildEnv = "TRACEMARK_BLOB_CRASH_CHILD"

// TestCrashDuringReceive kills a writer process with SIGKILL in the middle of
// a receive and checks that the committed blob is intact and that no partial
// blob appears under a real name.
func TestCrashDuringReceive(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDuringReceive$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(out)
	var committed blob.Ref
	for sc.Scan() {
		if ref, ok := strings.CutPrefix(sc.Text(), "committed "); ok {
			committed = blob.MustParse(ref)
			break
		}
	}
	if committed.IsZero() {
		t.Fatal("child did not commit its first blob")
	}
	// Wait until the second, endless upload has put bytes in a temporary file.
	deadline := time.Now().Add(30 * time.Second)
	for !tempHasBytes(filepath.Join(dir, "tmp"), 1<<20) {
		if time.Now().After(deadline) {
			t.Fatal("child never started the second upload")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.Enumerate(context.Background(), blob.Ref{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].Ref != committed {
		t.Fatalf("after the crash the store lists %v, want only the committed %s", all, committed)
	}
	if _, err := blob.ReadAll(context.Background(), s, committed); err != nil {
		t.Errorf("committed blob damaged by the crash: %v", err)
	}
}

func tempHasBytes(dir string, n int64) bool {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && info.Size() >= n {
			return true
		}
	}
	return false
}

// endless yields bytes forever, slowly enough for the parent to catch it.
type endless struct{ n int }

func (e *endless) Read(p []byte) (int, error) {
	e.n++
	if e.n%64 == 0 {
		time.Sleep(time.Millisecond)
	}
	for i := range p {
		p[i] = byte(i + e.n)
	}
	return len(p), nil
}

func crashChild(dir string) {
	s, err := New(dir)
	if err != nil {
		panic(err)
	}
	ref, _, err := s.Receive(context.Background(), strings.NewReader("committed before the crash"), 1<<20)
	if err != nil {
		panic(err)
	}
	os.Stdout.WriteString("committed " + ref.String() + "\n")
	s.Receive(context.Background(), &endless{}, 1<<40)
	os.Exit(3) // unreachable: the parent kills us first
}

// BenchmarkReceive stores distinct 2.4 MB blobs (the size of a 545×545
// X3P scan of doubles): hash, write, fsync, rename, fsync.
func BenchmarkReceive(b *testing.B) {
	s, err := New(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	data := bytes.Repeat([]byte("topography"), 240000)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := range b.N {
		data[0], data[1], data[2] = byte(i), byte(i>>8), byte(i>>16)
		if _, _, err := s.Receive(context.Background(), bytes.NewReader(data), int64(len(data))); err != nil {
			b.Fatal(err)
		}
	}
}
