package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestLandFilesNaturalOrder(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"B-Land_10.x3p", "B-Land_2.x3p", "B-Land_1.x3p", "notes.txt", "B-Land_9.X3P"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := landFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range got {
		names = append(names, filepath.Base(f))
	}
	want := []string{"B-Land_1.x3p", "B-Land_2.x3p", "B-Land_9.X3P", "B-Land_10.x3p"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("got %v, want %v", names, want)
	}
	if _, err := landFiles(t.TempDir()); err == nil {
		t.Error("an empty folder must be an error")
	}
}

func TestPlaceLands(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"x/L-Land_1.x3p", "x/L-Land_2.x3p"}, []string{"x/L-Land_1.x3p", "x/L-Land_2.x3p"}},
		{[]string{"a-land-1.x3p", "a-land-3.x3p"}, []string{"a-land-1.x3p", "", "a-land-3.x3p"}},
		{[]string{"first.x3p", "second.x3p"}, []string{"first.x3p", "second.x3p"}},
		{[]string{"Land_1.x3p", "b/Land_1.x3p"}, []string{"Land_1.x3p", "b/Land_1.x3p"}},
	} {
		if got := placeLands(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("placeLands(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
