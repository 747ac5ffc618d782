package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tracemark/tracemark/internal/compare/bullet"
)

// runCompareBullets compares two bullets given as lists of land files in
// land order and prints the land-by-land scores, the phase and the SAM.
func runCompareBullets(cmd *cobra.Command, f compareFlags, a, b []string) error {
	if len(a) == 0 || len(b) == 0 {
		return fmt.Errorf("compare bullets: each bullet needs at least one land file (got %d and %d)", len(a), len(b))
	}
	c, err := bullet.NewComparer()
	if err != nil {
		return err
	}
	ba, err := bullet.LoadBullet(cmd.Context(), bulletName(a), placeLands(a), c.Params)
	if err != nil {
		return fmt.Errorf("compare bullets: %w", err)
	}
	bb, err := bullet.LoadBullet(cmd.Context(), bulletName(b), placeLands(b), c.Params)
	if err != nil {
		return fmt.Errorf("compare bullets: %w", err)
	}
	if ba.Name == bb.Name {
		ba.Name, bb.Name = "A", "B"
	}
	r, err := c.CompareBullets(ba, bb)
	if err != nil {
		return fmt.Errorf("compare bullets: %w", err)
	}
	if f.png != "" {
		out, err := os.Create(f.png)
		if err != nil {
			return fmt.Errorf("compare bullets: %w", err)
		}
		err = r.WritePNG(out, c.Params.ClampUM)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("compare bullets: writing %s: %w", f.png, err)
		}
	}
	w := cmd.OutOrStdout()
	if f.json {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(w, "land scores (rows: %s lands, columns: %s lands; * = best phase)\n", r.A, r.B)
	fmt.Fprint(w, "      ")
	for j := range r.Scores[0] {
		fmt.Fprintf(w, "  %5d ", j+1)
	}
	fmt.Fprintln(w)
	p := max(len(r.Scores), len(r.Scores[0]))
	for i, row := range r.Scores {
		fmt.Fprintf(w, "%5d ", i+1)
		for j, v := range row {
			mark := " "
			if j == (i+r.Phase)%p {
				mark = "*"
			}
			if b, _ := v.MarshalJSON(); string(b) == "null" {
				fmt.Fprintf(w, " %s  --  ", mark)
			} else {
				fmt.Fprintf(w, " %s%.3f ", mark, float64(v))
			}
		}
		fmt.Fprintln(w)
	}
	pv, _ := r.PValue.MarshalJSON()
	fmt.Fprintf(w, "phase %d (%s land i ~ %s land i+%d mod %d), %d land pairs\n", r.Phase, r.A, r.B, r.Phase, p, r.PairsOnPhase)
	fmt.Fprintf(w, "bullet score (SAM) %.3f, margin over the next phase %.3f, phase-test p-value %s; SAM of CCF %.3f\n", r.Score, r.Margin, pv, r.ScoreCCF)
	fmt.Fprintln(w, "matched lands:")
	for _, m := range r.Matched {
		ft := m.Features
		fmt.Fprintf(w, "  %d-%d score %.3f ccf %.3f rough_cor %.3f D %.2f µm lag %.0f µm matches %d CMS %d non-CMS %d overlap %.2f mm\n",
			m.LandA, m.LandB, m.Score, ft.CCF, ft.RoughCor, ft.D, ft.LagUM, ft.Matches, ft.CMS, ft.NonCMS, ft.OverlapMM)
	}
	for _, u := range r.Unsuitable {
		fmt.Fprintln(w, "left out:", u)
	}
	return nil
}

// landNumber finds the land number in a file name such as
// "Barrel_1-Bullet_2-Land_3.x3p" or "bullet-001-land-4.x3p".
var landNumber = regexp.MustCompile(`(?i)land[ _-]?0*(\d+)`)

// placeLands puts land files at the positions their names give (Land_3 →
// third), leaving "" for lands absent from the list; without numbers in
// every name, or with clashing ones, the list order is kept.
func placeLands(files []string) []string {
	nums := make([]int, len(files))
	maxN := 0
	for i, f := range files {
		m := landNumber.FindStringSubmatch(filepath.Base(f))
		if m == nil {
			return files
		}
		n, err := strconv.Atoi(m[1])
		if err != nil || n < 1 || n > 64 {
			return files
		}
		nums[i], maxN = n, max(maxN, n)
	}
	out := make([]string, maxN)
	for i, n := range nums {
		if out[n-1] != "" {
			return files
		}
		out[n-1] = files[i]
	}
	return out
}

// bulletName names a bullet after the folder of its first land file.
func bulletName(files []string) string {
	return filepath.Base(filepath.Dir(files[0]))
}

// landFiles lists the land X3P files of a bullet folder in land order:
// names sorted naturally, so that "Land_10" follows "Land_9".
func landFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("bullet folder: %w", err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".x3p") {
			files = append(files, e.Name())
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("bullet folder %s holds no .x3p land files", dir)
	}
	sort.Slice(files, func(i, j int) bool { return naturalLess(files[i], files[j]) })
	for i, f := range files {
		files[i] = filepath.Join(dir, f)
	}
	return files, nil
}

// naturalLess orders strings comparing runs of digits by their value.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, _ := strconv.ParseUint(strings.TrimLeft(a[:da], "0")+"0", 10, 64)
			nb, _ := strconv.ParseUint(strings.TrimLeft(b[:db], "0")+"0", 10, 64)
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitRun(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
