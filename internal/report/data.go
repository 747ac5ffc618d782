package report

import (
	"time"

	"github.com/tracemark/tracemark/internal/domain"
)

// Kind is the kind of document.
type Kind string

// Document kinds.
const (
	KindComparison   Kind = "comparison"
	KindCase         Kind = "case"
	KindReviewSheet  Kind = "review-sheet"
	KindTraceRequest Kind = "trace-request"
	KindReceipt      Kind = "receipt"
)

// Kinds lists every document kind.
var Kinds = []Kind{KindComparison, KindCase, KindReviewSheet, KindTraceRequest, KindReceipt}

// Conclusion is a conclusion in the AFTE range; its value is the catalog
// suffix (afte.<value>).
type Conclusion string

// AFTE range of conclusions.
const (
	Identification  Conclusion = "identification"
	InconclusiveA   Conclusion = "inconclusive_a"
	InconclusiveB   Conclusion = "inconclusive_b"
	InconclusiveC   Conclusion = "inconclusive_c"
	Elimination     Conclusion = "elimination"
	Unsuitable      Conclusion = "unsuitable"
	NoConclusionYet Conclusion = ""
)

// Conclusions lists the AFTE range in order.
var Conclusions = []Conclusion{Identification, InconclusiveA, InconclusiveB, InconclusiveC, Elimination, Unsuitable}

// Person is a signatory.
type Person struct {
	Name     string `json:"name"`
	Position string `json:"position,omitempty"`
}

// Lab is the issuing laboratory.
type Lab struct {
	Name    string `json:"name"`
	Address string `json:"address,omitempty"`
	Agency  string `json:"agency"` // agency code, used by the numbering scheme
}

// CustodyEvent is one step of an exhibit's chain of custody; Kind is one of
// received, scanned, transferred, returned, destroyed.
type CustodyEvent struct {
	Exhibit     string    `json:"exhibit"`
	Kind        string    `json:"kind"`
	At          time.Time `json:"at"`
	By          string    `json:"by,omitempty"`
	Counterpart string    `json:"counterpart,omitempty"`
	Notes       string    `json:"notes,omitempty"`
}

// ScanInfo describes one scan used.
type ScanInfo struct {
	Exhibit      string  `json:"exhibit"`
	File         string  `json:"file"`
	SHA256       string  `json:"sha256"`
	Instrument   string  `json:"instrument,omitempty"`
	ResolutionUM float64 `json:"resolution_um,omitempty"`
}

// Param is one algorithm parameter, shown as given.
type Param struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// CartridgeScores are the figures of a cartridge-case comparison.
type CartridgeScores struct {
	HighCMC       int      `json:"high_cmc"`
	OriginalMin   int      `json:"original_min"`
	CellsForward  int      `json:"cells_forward"`
	CellsBackward int      `json:"cells_backward"`
	ThetaDeg      float64  `json:"theta_deg"`
	DXUM          float64  `json:"dx_um"`
	DYUM          float64  `json:"dy_um"`
	Score         float64  `json:"score"`
	Log10LR       *float64 `json:"log10_lr,omitempty"`
	Calibration   string   `json:"calibration,omitempty"`
}

// BulletScores are the figures of a bullet comparison.
type BulletScores struct {
	SAM    float64  `json:"sam"`
	Phase  int      `json:"phase"`
	Margin float64  `json:"margin"`
	Pairs  int      `json:"pairs"`
	PValue *float64 `json:"p_value,omitempty"`
}

// Verification is the second examiner's check.
type Verification struct {
	By         Person     `json:"by"`
	At         time.Time  `json:"at"`
	Conclusion Conclusion `json:"conclusion"`
	Blind      bool       `json:"blind"`
	Notes      string     `json:"notes,omitempty"`
}

// Comparison is one comparison of two exhibits with the examiner's
// conclusion. Exactly one of Cartridge and Bullet is set.
type Comparison struct {
	A            string           `json:"a"`
	B            string           `json:"b"`
	Cartridge    *CartridgeScores `json:"cartridge,omitempty"`
	Bullet       *BulletScores    `json:"bullet,omitempty"`
	Image        []byte           `json:"image,omitempty"` // PNG: overlay or signature plot
	Conclusion   Conclusion       `json:"conclusion"`
	Notes        string           `json:"notes,omitempty"`
	Verification *Verification    `json:"verification,omitempty"`
}

// Candidate is one row of a review sheet.
type Candidate struct {
	Rank    int                 `json:"rank"`
	Scan    string              `json:"scan"`
	Case    string              `json:"case"`
	Exhibit string              `json:"exhibit"`
	Score   float64             `json:"score"`
	Status  domain.ReviewStatus `json:"status"`
}

// Review is the content of a candidate-list review sheet.
type Review struct {
	Run        string      `json:"run"`
	Query      string      `json:"query"`
	Searched   int         `json:"searched"` // scans compared
	At         time.Time   `json:"at"`
	Candidates []Candidate `json:"candidates"`
}

// Firearm identifies a firearm for a trace request.
type Firearm struct {
	Serial      string `json:"serial"`
	Obliterated bool   `json:"obliterated"`
	Make        string `json:"make"`
	Model       string `json:"model"`
	Type        string `json:"type"`
	Calibre     string `json:"calibre"`
	Country     string `json:"country"`
	Importer    string `json:"importer,omitempty"`
	Markings    string `json:"markings,omitempty"`
}

// Trace is the content of a trace request.
type Trace struct {
	Urgent        bool      `json:"urgent"`
	Justification string    `json:"justification,omitempty"`
	Requester     string    `json:"requester"`
	Officer       string    `json:"officer"`
	Contact       string    `json:"contact,omitempty"`
	Addressees    []string  `json:"addressees"`
	Firearm       Firearm   `json:"firearm"`
	RecoveredAt   time.Time `json:"recovered_at,omitzero"`
	Place         string    `json:"place,omitempty"`
	Circumstances string    `json:"circumstances,omitempty"`
	Leads         []string  `json:"leads,omitempty"`
}

// Receipt is the content of an evidence receipt (the items are
// Data.Exhibits).
type Receipt struct {
	DeliveredBy Person    `json:"delivered_by"`
	ReceivedBy  Person    `json:"received_by"`
	At          time.Time `json:"at"`
	Packaging   string    `json:"packaging,omitempty"`
	Condition   string    `json:"condition,omitempty"`
}

// Data is everything a document shows. Number, when empty, is made from
// the template's numbering scheme with Lab.Agency, IssuedAt's year and Seq.
type Data struct {
	Kind         Kind             `json:"kind"`
	Number       string           `json:"number,omitempty"`
	Seq          int              `json:"seq,omitempty"`
	IssuedAt     time.Time        `json:"issued_at"`
	TimeZone     string           `json:"time_zone,omitempty"` // IANA zone for dates shown, e.g. "Asia/Tashkent"; default UTC
	Lab          Lab              `json:"lab"`
	Case         domain.Case      `json:"case"`
	RequestedBy  string           `json:"requested_by,omitempty"`
	Examinations string           `json:"examinations,omitempty"`
	Exhibits     []domain.Exhibit `json:"exhibits,omitempty"`
	Custody      []CustodyEvent   `json:"custody,omitempty"`
	Scans        []ScanInfo       `json:"scans,omitempty"`
	Software     string           `json:"software"`
	Version      string           `json:"version"`
	Params       []Param          `json:"params,omitempty"`
	Comparisons  []Comparison     `json:"comparisons,omitempty"`
	Examiner     Person           `json:"examiner"`
	Verifier     Person           `json:"verifier"`
	Review       *Review          `json:"review,omitempty"`
	Trace        *Trace           `json:"trace,omitempty"`
	Receipt      *Receipt         `json:"receipt,omitempty"`
}
