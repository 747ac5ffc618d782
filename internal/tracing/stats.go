package tracing

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/tracemark/tracemark/internal/domain"
)

// Table is a two-way count table: Counts[i][j] counts the items with row
// value Rows[i] and column value Cols[j]. Rows and columns are sorted.
type Table struct {
	Title   string   `json:"title"`
	RowName string   `json:"row_name"`
	ColName string   `json:"col_name"`
	Rows    []string `json:"rows"`
	Cols    []string `json:"cols"`
	Counts  [][]int  `json:"counts"`
}

// Total returns the sum of all counts.
func (t Table) Total() int {
	n := 0
	for _, r := range t.Counts {
		for _, c := range r {
			n += c
		}
	}
	return n
}

// Count returns the count at (row, col), 0 when either is absent.
func (t Table) Count(row, col string) int {
	i, j := indexOf(t.Rows, row), indexOf(t.Cols, col)
	if i < 0 || j < 0 {
		return 0
	}
	return t.Counts[i][j]
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// crossTab builds a table from (row, col) pairs.
func crossTab(title, rowName, colName string, pairs [][2]string) Table {
	rowSet, colSet := map[string]bool{}, map[string]bool{}
	for _, p := range pairs {
		rowSet[p[0]], colSet[p[1]] = true, true
	}
	t := Table{Title: title, RowName: rowName, ColName: colName, Rows: sortedKeys(rowSet), Cols: sortedKeys(colSet)}
	t.Counts = make([][]int, len(t.Rows))
	for i := range t.Counts {
		t.Counts[i] = make([]int, len(t.Cols))
	}
	for _, p := range pairs {
		t.Counts[indexOf(t.Rows, p[0])][indexOf(t.Cols, p[1])]++
	}
	return t
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// FirearmsByStatusAndType counts firearms by status (rows) and type (columns).
func FirearmsByStatusAndType(fs []Firearm) Table {
	pairs := make([][2]string, len(fs))
	for i, f := range fs {
		pairs[i] = [2]string{orUnknown(string(f.Status)), orUnknown(string(f.Type))}
	}
	return crossTab("Firearms by status and type", "status", "type", pairs)
}

// TraceRequestsByStatusAndCountry counts requests by status (rows) and
// addressee country (columns).
func TraceRequestsByStatusAndCountry(reqs []TraceRequest) Table {
	pairs := make([][2]string, len(reqs))
	for i, r := range reqs {
		pairs[i] = [2]string{string(r.Status), orUnknown(r.Addressee.Country)}
	}
	return crossTab("Trace requests by status and addressee country", "status", "country", pairs)
}

// HitsByMonth counts confirmed hits (case links) per calendar month (UTC,
// "2006-01") in [from, to), one row per month including empty months, and
// one column "hits". Links outside the range are not counted.
func HitsByMonth(links []domain.CaseLink, from, to time.Time) Table {
	t := Table{Title: "Hits by month", RowName: "month", ColName: "hits", Cols: []string{"hits"}}
	start := time.Date(from.UTC().Year(), from.UTC().Month(), 1, 0, 0, 0, 0, time.UTC)
	for m := start; m.Before(to); m = m.AddDate(0, 1, 0) {
		t.Rows = append(t.Rows, m.Format("2006-01"))
		t.Counts = append(t.Counts, []int{0})
	}
	for _, l := range links {
		at := l.CreatedAt.UTC()
		if at.Before(from) || !at.Before(to) {
			continue
		}
		if i := indexOf(t.Rows, at.Format("2006-01")); i >= 0 {
			t.Counts[i][0]++
		}
	}
	return t
}

// WriteCSV writes t as CSV: a header row (row name, then the columns, then
// "total") and one row per row value with its row total.
func WriteCSV(w io.Writer, t Table) error {
	cw := csv.NewWriter(w)
	header := append([]string{t.RowName}, t.Cols...)
	if err := cw.Write(append(header, "total")); err != nil {
		return fmt.Errorf("write CSV for %q: %w", t.Title, err)
	}
	for i, r := range t.Rows {
		rec := []string{r}
		total := 0
		for _, c := range t.Counts[i] {
			rec = append(rec, strconv.Itoa(c))
			total += c
		}
		if err := cw.Write(append(rec, strconv.Itoa(total))); err != nil {
			return fmt.Errorf("write CSV for %q: %w", t.Title, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write CSV for %q: %w", t.Title, err)
	}
	return nil
}
