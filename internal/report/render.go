package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // labs run on Windows too, where the zone database may be absent

	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"codeberg.org/go-fonts/liberation/liberationserifbold"
	"codeberg.org/go-fonts/liberation/liberationserifregular"
	"codeberg.org/go-pdf/fpdf"

	"github.com/tracemark/tracemark/internal/i18n"
)

// Output is a rendered document.
type Output struct {
	PDF    []byte
	SHA256 string // hex SHA-256 of PDF, for the audit trail
	Number string // the document number printed on it
	Pages  int
}

// Render renders d in language lang with templates t (nil: the defaults).
func Render(d *Data, lang string, t *Templates) (*Output, error) {
	if d == nil {
		return nil, fmt.Errorf("report: no data")
	}
	if t == nil {
		var err error
		if t, err = DefaultTemplates(); err != nil {
			return nil, err
		}
	}
	if err := validate(d); err != nil {
		return nil, err
	}
	loc := time.UTC
	if d.TimeZone != "" {
		var err error
		if loc, err = time.LoadLocation(d.TimeZone); err != nil {
			return nil, fmt.Errorf("report: time_zone %q: %w (want an IANA name such as Asia/Tashkent)", d.TimeZone, err)
		}
	}
	l, err := t.catalog.Localizer(lang)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	number := d.Number
	if number == "" {
		number = t.Number(d.Lab.Agency, d.IssuedAt, d.Seq)
	}
	w := newWriter(t, l, d, number, loc)
	switch d.Kind {
	case KindComparison, KindCase:
		w.expertReport()
	case KindReviewSheet:
		w.reviewSheet()
	case KindTraceRequest:
		w.traceRequest()
	case KindReceipt:
		w.receipt()
	}
	var buf bytes.Buffer
	if err := w.pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("report: writing the PDF: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return &Output{PDF: buf.Bytes(), SHA256: hex.EncodeToString(sum[:]), Number: number, Pages: w.pdf.PageNo()}, nil
}

func validate(d *Data) error {
	if !slices.Contains(Kinds, d.Kind) {
		return fmt.Errorf("report: kind %q: want one of comparison, case, review-sheet, trace-request, receipt", d.Kind)
	}
	if d.IssuedAt.IsZero() {
		return fmt.Errorf("report: issued_at is required (it is also the PDF creation date)")
	}
	switch d.Kind {
	case KindComparison:
		if len(d.Comparisons) != 1 {
			return fmt.Errorf("report: a comparison report needs exactly one comparison, got %d (use kind case for more)", len(d.Comparisons))
		}
	case KindReviewSheet:
		if d.Review == nil {
			return fmt.Errorf("report: review-sheet needs the review field")
		}
	case KindTraceRequest:
		if d.Trace == nil {
			return fmt.Errorf("report: trace-request needs the trace field")
		}
	case KindReceipt:
		if d.Receipt == nil {
			return fmt.Errorf("report: receipt needs the receipt field")
		}
	}
	for i, c := range d.Comparisons {
		if (c.Cartridge == nil) == (c.Bullet == nil) {
			return fmt.Errorf("report: comparison %d (%s, %s): set exactly one of cartridge and bullet", i+1, c.A, c.B)
		}
		if c.Conclusion != NoConclusionYet && !slices.Contains(Conclusions, c.Conclusion) {
			return fmt.Errorf("report: comparison %d: conclusion %q is not in the AFTE range", i+1, c.Conclusion)
		}
	}
	return nil
}

const (
	pageW, marginX = 210.0, 20.0
	textW          = pageW - 2*marginX
	lineH          = 5.0
)

type writer struct {
	pdf     *fpdf.Fpdf
	l       *i18n.Localizer
	d       *Data
	t       *Templates
	number  string
	font    string
	loc     *time.Location // dates and times are shown in this zone
	section int
	figure  int
}

func newWriter(t *Templates, l *i18n.Localizer, d *Data, number string, loc *time.Location) *writer {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(d.IssuedAt)
	pdf.SetModificationDate(d.IssuedAt)
	pdf.SetProducer("tracemark", true)
	pdf.SetMargins(marginX, 20, marginX)
	pdf.SetAutoPageBreak(true, 20)
	regular, bold := liberationsansregular.TTF, liberationsansbold.TTF
	if t.Font == "serif" {
		regular, bold = liberationserifregular.TTF, liberationserifbold.TTF
	}
	pdf.AddUTF8FontFromBytes("body", "", regular)
	pdf.AddUTF8FontFromBytes("body", "B", bold)
	w := &writer{pdf: pdf, l: l, d: d, t: t, number: number, font: "body", loc: loc}
	title := w.title()
	pdf.SetTitle(title, true)
	pdf.SetAuthor(d.Lab.Name, true)
	pdf.SetSubject(number, true)
	pdf.AliasNbPages("{nb}")
	pdf.SetHeaderFunc(w.header)
	pdf.SetFooterFunc(w.footer)
	if len(t.Logo) > 0 {
		pdf.RegisterImageOptionsReader("logo", fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(t.Logo))
	}
	pdf.AddPage()
	w.titleBlock(title)
	return w
}

func (w *writer) date(t time.Time) string {
	if t.IsZero() {
		return w.l.Date(t)
	}
	return w.l.Date(t.In(w.loc))
}

func (w *writer) dateTime(t time.Time) string {
	if t.IsZero() {
		return w.l.DateTime(t)
	}
	return w.l.DateTime(t.In(w.loc))
}

func (w *writer) title() string {
	switch w.d.Kind {
	case KindComparison:
		return w.l.T("doc.comparison.title", nil)
	case KindCase:
		return w.l.T("doc.case.title", nil)
	case KindReviewSheet:
		return w.l.T("doc.review.title", nil)
	case KindTraceRequest:
		return w.l.T("doc.trace.title", nil)
	}
	return w.l.T("doc.receipt.title", nil)
}

func (w *writer) header() {
	p := w.pdf
	x := marginX
	if len(w.t.Logo) > 0 {
		p.ImageOptions("logo", marginX, 8, 0, 10, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
		x += 14
	}
	p.SetFont(w.font, "", 8)
	p.SetTextColor(80, 80, 80)
	p.SetXY(x, 8)
	head := w.d.Lab.Name
	if w.t.Header != "" {
		head = w.t.Header + " · " + head
	}
	p.CellFormat(pageW-marginX-x-50, 4, head, "", 0, "L", false, 0, "")
	p.CellFormat(50, 4, w.l.T("header.number", map[string]any{"Number": w.number}), "", 1, "R", false, 0, "")
	p.SetX(x)
	p.CellFormat(pageW-marginX-x, 4, w.d.Lab.Address, "", 1, "L", false, 0, "")
	p.SetDrawColor(150, 150, 150)
	p.Line(marginX, 19, pageW-marginX, 19)
	p.SetTextColor(0, 0, 0)
	p.SetY(22)
}

func (w *writer) footer() {
	p := w.pdf
	p.SetY(-15)
	p.SetFont(w.font, "", 8)
	p.SetTextColor(80, 80, 80)
	p.CellFormat(textW-40, 4, w.l.T("footer.integrity", nil), "", 0, "L", false, 0, "")
	p.CellFormat(40, 4, w.l.T("footer.page", map[string]any{"Page": strconv.Itoa(p.PageNo()), "Pages": "{nb}"}), "", 0, "R", false, 0, "")
	p.SetTextColor(0, 0, 0)
}

func (w *writer) titleBlock(title string) {
	p := w.pdf
	p.SetFont(w.font, "B", 14)
	p.MultiCell(textW, 7, strings.ToUpper(title), "", "C", false)
	p.SetFont(w.font, "", 10)
	p.CellFormat(textW, 6, w.l.T("header.number", map[string]any{"Number": w.number})+"   ·   "+
		w.l.T("header.date", map[string]any{"Date": w.date(w.d.IssuedAt)}), "", 1, "C", false, 0, "")
	p.Ln(3)
}

func (w *writer) heading(id string) {
	w.section++
	w.needSpace(20)
	p := w.pdf
	p.Ln(2)
	p.SetFont(w.font, "B", 11)
	title := w.l.T(id, nil)
	if w.d.Kind == KindComparison || w.d.Kind == KindCase {
		title = fmt.Sprintf("%d. %s", w.section, title) // expert reports cite sections by number
	}
	p.MultiCell(textW, 6, title, "", "L", false)
	p.SetFont(w.font, "", 10)
	p.Ln(1)
}

func (w *writer) para(s string) {
	w.pdf.SetFont(w.font, "", 10)
	w.pdf.MultiCell(textW, lineH, s, "", "L", false)
	w.pdf.Ln(1)
}

func (w *writer) needSpace(h float64) {
	_, pageH := w.pdf.GetPageSize()
	if w.pdf.GetY()+h > pageH-20 {
		w.pdf.AddPage()
	}
}

// fields prints label: value rows, skipping empty values.
func (w *writer) fields(rows ...[2]string) {
	var keep [][]string
	for _, r := range rows {
		if strings.TrimSpace(r[1]) != "" && r[1] != "—" {
			keep = append(keep, []string{r[0], r[1]})
		}
	}
	w.table([]float64{55, textW - 55}, nil, keep, true)
}

// table draws rows with wrapped cells; header (may be nil) is repeated on
// each new page. boldFirst sets the first column in bold (label tables).
func (w *writer) table(widths []float64, header []string, rows [][]string, boldFirst bool) {
	w.tableMin(widths, header, rows, boldFirst, 0)
}

// tableMin is table with a minimum body row height in mm (room for a
// handwritten signature).
func (w *writer) tableMin(widths []float64, header []string, rows [][]string, boldFirst bool, minH float64) {
	p := w.pdf
	const size = 9
	var draw func(cells []string, head bool)
	draw = func(cells []string, head bool) {
		h := 0.0
		lines := make([][]string, len(cells))
		for i, c := range cells {
			style := ""
			if head || (boldFirst && i == 0) {
				style = "B"
			}
			p.SetFont(w.font, style, size)
			lines[i] = p.SplitText(c, widths[i]-2)
			if len(lines[i]) == 0 {
				lines[i] = []string{""}
			}
			h = math.Max(h, float64(len(lines[i]))*4.2+1.6)
		}
		if !head {
			h = math.Max(h, minH)
		}
		if _, pageH := p.GetPageSize(); p.GetY()+h > pageH-20 {
			p.AddPage()
			if header != nil && !head {
				draw(header, true)
			}
		}
		x, y := marginX, p.GetY()
		for i := range cells {
			style := ""
			if head || (boldFirst && i == 0) {
				style = "B"
			}
			p.SetFont(w.font, style, size)
			if head {
				p.SetFillColor(230, 230, 230)
				p.Rect(x, y, widths[i], h, "FD")
			} else {
				p.Rect(x, y, widths[i], h, "D")
			}
			for k, ln := range lines[i] {
				p.SetXY(x+1, y+0.8+float64(k)*4.2)
				p.CellFormat(widths[i]-2, 4.2, ln, "", 0, "L", false, 0, "")
			}
			x += widths[i]
		}
		p.SetXY(marginX, y+h)
	}
	p.SetDrawColor(160, 160, 160)
	if header != nil {
		draw(header, true)
	}
	for _, r := range rows {
		draw(r, false)
	}
	p.SetFont(w.font, "", 10)
	p.Ln(2)
}
