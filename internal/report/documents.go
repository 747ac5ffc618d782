package report

import (
	"bytes"
	"fmt"
	"strings"

	"codeberg.org/go-pdf/fpdf"
)

func (w *writer) expertReport() {
	d, l := w.d, w.l
	w.para(l.T("report.intro", nil))
	w.heading("section.case")
	w.fields(
		[2]string{l.T("field.laboratory", nil), d.Lab.Name},
		[2]string{l.T("field.case_number", nil), d.Case.Number},
		[2]string{l.T("field.case_title", nil), d.Case.Title},
		[2]string{l.T("field.offence", nil), d.Case.Offence},
		[2]string{l.T("field.occurred", nil), w.date(d.Case.OccurredAt)},
		[2]string{l.T("field.place", nil), d.Case.PlaceName},
		[2]string{l.T("field.received", nil), w.date(d.Case.ReceivedAt)},
		[2]string{l.T("field.requested_by", nil), d.RequestedBy},
		[2]string{l.T("field.examinations", nil), d.Examinations},
	)
	w.exhibitTable()

	w.heading("section.items")
	if len(d.Custody) > 0 {
		rows := make([][]string, len(d.Custody))
		for i, e := range d.Custody {
			rows[i] = []string{w.dateTime(e.At), e.Exhibit, w.custodyKind(e.Kind), e.By, e.Counterpart, e.Notes}
		}
		w.table([]float64{26, 15, 31, 30, 30, textW - 132},
			[]string{l.T("col.date_time", nil), l.T("col.exhibit", nil), l.T("col.action", nil), l.T("col.by", nil), l.T("col.counterpart", nil), l.T("col.note", nil)}, rows, false)
	}

	w.heading("section.methods")
	w.para(l.T("methods.software", map[string]any{"Software": d.Software, "Version": d.Version}))
	cart, bul := false, false
	for _, c := range d.Comparisons {
		cart = cart || c.Cartridge != nil
		bul = bul || c.Bullet != nil
	}
	if cart {
		w.para(l.T("methods.cartridge", nil))
	}
	if bul {
		w.para(l.T("methods.bullet", nil))
	}
	if len(d.Scans) > 0 {
		w.subheading(l.T("methods.scans", nil))
		rows := make([][]string, len(d.Scans))
		for i, s := range d.Scans {
			res := ""
			if s.ResolutionUM > 0 {
				res = l.T("unit.um", map[string]any{"Value": l.Number(s.ResolutionUM, 2)})
			}
			rows[i] = []string{s.Exhibit, s.File + "\n" + s.SHA256, s.Instrument, res}
		}
		w.table([]float64{16, 86, 40, textW - 142},
			[]string{l.T("col.exhibit", nil), l.T("col.file", nil) + " / " + l.T("col.sha256", nil), l.T("col.instrument", nil), l.T("col.resolution", nil)}, rows, false)
	}
	if len(d.Params) > 0 {
		w.subheading(l.T("methods.parameters", nil))
		rows := make([][]string, len(d.Params))
		for i, p := range d.Params {
			rows[i] = []string{p.Name, p.Value}
		}
		w.table([]float64{60, textW - 60}, []string{l.T("col.parameter", nil), l.T("col.value", nil)}, rows, false)
	}

	w.heading("section.comparisons")
	for i, c := range d.Comparisons {
		w.comparison(i+1, c)
	}

	w.heading("section.conclusion")
	for _, c := range d.Comparisons {
		w.conclusion(c)
	}
	w.para(l.T("conclusion.disclaimer", nil))

	w.heading("section.verification")
	for _, c := range d.Comparisons {
		w.verification(c)
	}

	w.signatures()
	w.generatedBy()
}

func (w *writer) subheading(s string) {
	w.needSpace(14)
	w.pdf.SetFont(w.font, "B", 10)
	w.pdf.MultiCell(textW, lineH, s, "", "L", false)
	w.pdf.SetFont(w.font, "", 10)
}

func (w *writer) custodyKind(k string) string {
	switch k {
	case "received", "scanned", "transferred", "returned", "destroyed":
		return w.l.T("custody."+k, nil)
	}
	return k
}

func (w *writer) exhibitTable() {
	l := w.l
	if len(w.d.Exhibits) == 0 {
		return
	}
	w.subheading(l.TCount("plural.exhibits", len(w.d.Exhibits), nil))
	rows := make([][]string, len(w.d.Exhibits))
	for i, e := range w.d.Exhibits {
		rows[i] = []string{e.Label, w.enum("kind.", string(e.Kind)), w.enum("role.", string(e.Role)), e.Class.Calibre, e.Description}
	}
	w.table([]float64{18, 30, 30, 28, textW - 106},
		[]string{l.T("col.exhibit", nil), l.T("col.kind", nil), l.T("col.role", nil), l.T("col.calibre", nil), l.T("col.description", nil)}, rows, false)
}

// enum translates a known code and shows an unknown one as given.
func (w *writer) enum(prefix, code string) string {
	if code == "" {
		return ""
	}
	if s := w.l.T(prefix+code, nil); !strings.HasPrefix(s, "[") {
		return s
	}
	return code
}

func (w *writer) comparison(n int, c Comparison) {
	l := w.l
	w.subheading(l.T("comparison.heading", map[string]any{"N": n, "A": c.A, "B": c.B}))
	um := func(v float64) string { return l.T("unit.um", map[string]any{"Value": l.Number(v, 0)}) }
	var rows [][]string
	if s := c.Cartridge; s != nil {
		lr := l.T("score.lr.none", nil)
		if s.Log10LR != nil {
			lr = "log10 LR = " + l.Number(*s.Log10LR, 2)
		}
		rows = [][]string{
			{l.T("score.high_cmc", nil), l.Int(s.HighCMC), l.T("score.high_cmc.meaning", nil)},
			{l.T("score.original_cmc", nil), l.Int(s.OriginalMin), l.T("score.original_cmc.meaning", nil)},
			{l.T("score.cells", nil), l.TCount("plural.cells", s.CellsForward, nil) + " / " + l.TCount("plural.cells", s.CellsBackward, nil), l.T("score.cells.meaning", nil)},
			{l.T("score.registration", nil), l.T("score.registration.value", map[string]any{
				"Theta": l.T("unit.deg", map[string]any{"Value": l.Number(s.ThetaDeg, 0)}), "DX": um(s.DXUM), "DY": um(s.DYUM)}), l.T("score.registration.meaning", nil)},
			{l.T("score.score", nil), l.Number(s.Score, 2), l.T("score.score.meaning", nil)},
			{l.T("score.lr", nil), lr, l.T("score.lr.meaning", map[string]any{"Version": s.Calibration})},
		}
	}
	if s := c.Bullet; s != nil {
		p := "—"
		if s.PValue != nil {
			p = l.Number(*s.PValue, 4)
		}
		rows = [][]string{
			{l.T("score.sam", nil), l.Number(s.SAM, 3), l.T("score.sam.meaning", nil)},
			{l.T("score.phase", nil), l.Int(s.Phase) + "; " + l.Number(s.Margin, 3), l.T("score.phase.meaning", nil)},
			{l.T("score.pvalue", nil), p, l.T("score.pvalue.meaning", nil)},
			{l.T("score.matched_lands", nil), l.TCount("plural.lands", s.Pairs, nil), ""},
		}
	}
	w.table([]float64{50, 40, textW - 90}, []string{l.T("col.parameter", nil), l.T("col.value", nil), l.T("col.meaning", nil)}, rows, true)
	if len(c.Image) > 0 {
		w.image(c)
	}
}

func (w *writer) image(c Comparison) {
	l := w.l
	p := w.pdf
	w.figure++
	name := fmt.Sprintf("figure%d", w.figure)
	info := p.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(c.Image))
	if p.Err() || info == nil {
		return
	}
	h := textW * info.Height() / info.Width()
	if h > 150 {
		h = 150
	}
	width := h * info.Width() / info.Height()
	w.needSpace(h + 14)
	x := marginX + (textW-width)/2
	p.ImageOptions(name, x, p.GetY(), width, h, true, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	id := "figure.cartridge"
	if c.Bullet != nil {
		id = "figure.bullet"
	}
	p.SetFont(w.font, "", 8.5)
	p.MultiCell(textW, 4, l.T(id, map[string]any{"N": w.figure, "A": c.A, "B": c.B}), "", "C", false)
	p.SetFont(w.font, "", 10)
	p.Ln(2)
}

func (w *writer) conclusion(c Comparison) {
	l := w.l
	w.needSpace(30)
	w.subheading(l.T("conclusion.for", map[string]any{"A": c.A, "B": c.B}))
	if c.Conclusion == NoConclusionYet {
		w.para(l.T("conclusion.examiner", nil) + ": —")
		return
	}
	p := w.pdf
	p.SetFont(w.font, "B", 11)
	p.SetFillColor(240, 240, 240)
	p.MultiCell(textW, 7, l.T("conclusion.examiner", nil)+": "+l.T("afte."+string(c.Conclusion), nil), "1", "L", true)
	p.SetFont(w.font, "", 9)
	p.MultiCell(textW, 4.5, l.T("afte."+string(c.Conclusion)+".desc", nil), "", "L", false)
	p.Ln(1)
	if c.Notes != "" {
		w.para(l.T("conclusion.notes", nil) + ": " + c.Notes)
	}
}

func (w *writer) verification(c Comparison) {
	l := w.l
	v := c.Verification
	prefix := l.T("conclusion.for", map[string]any{"A": c.A, "B": c.B}) + ": "
	if v == nil {
		w.para(prefix + l.T("verification.none", nil))
		return
	}
	s := prefix + l.T("verification.by", map[string]any{"Name": v.By.Name, "Date": w.date(v.At)}) + ". " +
		l.T("verification.result", nil) + ": " + l.T("afte."+string(v.Conclusion), nil) + ". "
	if v.Conclusion == c.Conclusion {
		s += l.T("verification.agree", nil)
	} else {
		s += l.T("verification.disagree", nil)
	}
	if v.Blind {
		s += " " + l.T("verification.blind", nil)
	}
	if v.Notes != "" {
		s += " " + v.Notes
	}
	w.para(s)
}

func (w *writer) signatures() {
	l := w.l
	w.heading("section.signatures")
	w.needSpace(40)
	rows := [][]string{
		{l.T("sign.examiner", nil), join(w.d.Examiner.Name, w.d.Examiner.Position), "", w.date(w.d.IssuedAt)},
		{l.T("sign.verifier", nil), join(w.d.Verifier.Name, w.d.Verifier.Position), "", ""},
	}
	w.tableMin([]float64{30, 65, 45, textW - 140}, []string{"", l.T("sign.name", nil), l.T("sign.signature", nil), l.T("sign.date", nil)},
		rows, true, 14)
}

func join(name, position string) string {
	if position == "" {
		return name
	}
	return name + ", " + position
}

func (w *writer) generatedBy() {
	w.pdf.Ln(2)
	w.pdf.SetFont(w.font, "", 8)
	w.pdf.MultiCell(textW, 4, w.l.T("report.generated_by", map[string]any{"Software": w.d.Software, "Version": w.d.Version}), "", "L", false)
}

func (w *writer) reviewSheet() {
	d, l := w.d, w.l
	r := d.Review
	w.fields(
		[2]string{l.T("field.case_number", nil), d.Case.Number},
		[2]string{l.T("review.run", nil), r.Run},
		[2]string{l.T("review.query", nil), r.Query},
		[2]string{l.T("review.col.candidate", nil), l.TCount("plural.candidates", len(r.Candidates), nil)},
		[2]string{"", l.T("review.searched", map[string]any{"Scans": l.TCount("plural.scans", r.Searched, nil), "Date": w.dateTime(r.At)})},
	)
	w.para(l.T("review.instructions", nil))
	rows := make([][]string, len(r.Candidates))
	for i, c := range r.Candidates {
		rows[i] = []string{l.Int(c.Rank), c.Exhibit + "\n" + c.Scan, c.Case, l.Number(c.Score, 2), w.enum("status.", string(c.Status)), l.T("review.decision.options", nil)}
	}
	w.table([]float64{12, 42, 28, 18, 30, textW - 130},
		[]string{l.T("review.col.rank", nil), l.T("review.col.candidate", nil), l.T("review.col.case", nil), l.T("review.col.score", nil), l.T("review.col.status", nil), l.T("review.col.decision", nil)}, rows, false)
	w.signatures()
}

func (w *writer) traceRequest() {
	d, l := w.d, w.l
	tr := d.Trace
	pri := l.T("priority.routine", nil)
	if tr.Urgent {
		pri = l.T("priority.urgent", nil)
	}
	yesNo := l.T("no", nil)
	if tr.Firearm.Obliterated {
		yesNo = l.T("yes", nil)
	}
	w.para(l.T("trace.restricted", nil))
	w.fields(
		[2]string{l.T("trace.priority", nil), pri},
		[2]string{l.T("trace.justification", nil), tr.Justification},
		[2]string{l.T("trace.requester", nil), tr.Requester},
		[2]string{l.T("trace.officer", nil), tr.Officer},
		[2]string{l.T("trace.contact", nil), tr.Contact},
		[2]string{l.T("field.case_number", nil), d.Case.Number},
		[2]string{l.T("trace.addressees", nil), strings.Join(tr.Addressees, "; ")},
	)
	w.subheading(l.T("trace.firearm", nil))
	f := tr.Firearm
	w.fields(
		[2]string{l.T("field.serial", nil), f.Serial},
		[2]string{l.T("field.serial_obliterated", nil), yesNo},
		[2]string{l.T("field.make", nil), f.Make},
		[2]string{l.T("field.model", nil), f.Model},
		[2]string{l.T("field.type", nil), f.Type},
		[2]string{l.T("col.calibre", nil), f.Calibre},
		[2]string{l.T("field.country", nil), f.Country},
		[2]string{l.T("field.importer", nil), f.Importer},
		[2]string{l.T("field.markings", nil), f.Markings},
	)
	w.subheading(l.T("trace.recovery", nil))
	w.fields(
		[2]string{l.T("trace.recovered_at", nil), w.date(tr.RecoveredAt)},
		[2]string{l.T("field.place", nil), tr.Place},
		[2]string{l.T("trace.circumstances", nil), tr.Circumstances},
		[2]string{l.T("trace.leads", nil), strings.Join(tr.Leads, "; ")},
	)
	w.signatures()
}

func (w *writer) receipt() {
	d, l := w.d, w.l
	r := d.Receipt
	w.para(l.T("receipt.statement", nil))
	w.fields(
		[2]string{l.T("field.laboratory", nil), d.Lab.Name},
		[2]string{l.T("field.case_number", nil), d.Case.Number},
		[2]string{l.T("receipt.received_at", nil), w.dateTime(r.At)},
		[2]string{l.T("receipt.packaging", nil), r.Packaging},
		[2]string{l.T("receipt.condition", nil), r.Condition},
	)
	w.exhibitTable()
	w.needSpace(40)
	rows := [][]string{
		{l.T("receipt.delivered_by", nil), join(r.DeliveredBy.Name, r.DeliveredBy.Position), "", w.date(r.At)},
		{l.T("receipt.received_by", nil), join(r.ReceivedBy.Name, r.ReceivedBy.Position), "", w.date(r.At)},
	}
	w.tableMin([]float64{30, 65, 45, textW - 140}, []string{"", l.T("sign.name", nil), l.T("sign.signature", nil), l.T("sign.date", nil)}, rows, true, 14)
}
