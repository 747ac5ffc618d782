package tracing

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
)

func TestFirearmsByStatusAndType(t *testing.T) {
	var fs []Firearm
	add := func(n int, s Status, ty FirearmType) {
		for range n {
			f := sampleFirearm()
			f.Status, f.Type = s, ty
			fs = append(fs, f)
		}
	}
	add(3, StatusSeized, TypePistol)
	add(2, StatusSeized, TypeAssaultRifle)
	add(1, StatusStolen, TypePistol)
	add(4, StatusDestroyed, TypeShotgun)
	tab := FirearmsByStatusAndType(fs)
	checks := []struct {
		row, col string
		want     int
	}{
		{"seized", "pistol", 3}, {"seized", "assault_rifle", 2}, {"stolen", "pistol", 1},
		{"destroyed", "shotgun", 4}, {"stolen", "shotgun", 0}, {"lost", "pistol", 0},
	}
	for _, c := range checks {
		if got := tab.Count(c.row, c.col); got != c.want {
			t.Errorf("count(%s, %s) = %d, want %d", c.row, c.col, got, c.want)
		}
	}
	if tab.Total() != len(fs) {
		t.Errorf("total %d, want %d", tab.Total(), len(fs))
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, tab); err != nil {
		t.Fatal(err)
	}
	want := "status,assault_rifle,pistol,shotgun,total\ndestroyed,0,0,4,4\nseized,2,3,0,5\nstolen,0,1,0,1\n"
	if buf.String() != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestTraceRequestsByStatusAndCountry(t *testing.T) {
	a, b, c := sampleRequest(TraceSent), sampleRequest(TraceSent), sampleRequest(TraceClosed)
	c.Addressee.Country = "TJ"
	tab := TraceRequestsByStatusAndCountry([]TraceRequest{a, b, c})
	if tab.Count("sent", "UZ") != 2 || tab.Count("closed", "TJ") != 1 || tab.Count("sent", "TJ") != 0 {
		t.Errorf("table %+v", tab)
	}
}

func TestHitsByMonth(t *testing.T) {
	link := func(at time.Time) domain.CaseLink { return domain.CaseLink{CreatedAt: at} }
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	links := []domain.CaseLink{
		link(time.Date(2026, 1, 31, 23, 59, 0, 0, time.UTC)),
		link(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)),
		link(time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)),
		link(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)),   // outside
		link(time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)), // outside
	}
	tab := HitsByMonth(links, from, to)
	want := map[string]int{"2026-01": 2, "2026-02": 0, "2026-03": 1}
	if len(tab.Rows) != 3 {
		t.Fatalf("rows %v, want Jan–Mar", tab.Rows)
	}
	for m, n := range want {
		if got := tab.Count(m, "hits"); got != n {
			t.Errorf("%s: %d hits, want %d", m, got, n)
		}
	}
	if _, err := json.Marshal(tab); err != nil {
		t.Error(err)
	}
}
