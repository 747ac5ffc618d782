package x3p

import "fmt"

// FormatError reports invalid input: a file that is not a readable X3P. Part
// names the zip member or XML element at fault.
type FormatError struct {
	File string // file name when read with ReadFile, else ""
	Part string // member or element, e.g. "Record3/MatrixDimension/SizeX"
	Msg  string
	Err  error // underlying cause, if any
}

func (e *FormatError) Error() string { return formatMsg("invalid X3P", e.File, e.Part, e.Msg, e.Err) }
func (e *FormatError) Unwrap() error { return e.Err }

// UnsupportedError reports a valid X3P that uses a feature this package does
// not implement, or one that exceeds the configured limits (Options).
type UnsupportedError struct {
	File string
	Part string
	Msg  string
}

func (e *UnsupportedError) Error() string {
	return formatMsg("unsupported X3P", e.File, e.Part, e.Msg, nil)
}

func formatMsg(kind, file, part, msg string, err error) string {
	s := "x3p: "
	if file != "" {
		s += file + ": "
	}
	s += kind
	if part != "" {
		s += ": " + part
	}
	s += ": " + msg
	if err != nil {
		s += ": " + err.Error()
	}
	return s
}

func formatErr(part, format string, args ...any) *FormatError {
	return &FormatError{Part: part, Msg: fmt.Sprintf(format, args...)}
}

func unsupported(part, format string, args ...any) *UnsupportedError {
	return &UnsupportedError{Part: part, Msg: fmt.Sprintf(format, args...)}
}

// Warning is a defect that does not stop the heights from being used, such as
// a checksum mismatch. Callers keep warnings with the scan (chain of custody).
type Warning struct {
	Code    string `json:"code"`    // stable identifier, e.g. WarnDataMD5Mismatch
	Message string `json:"message"` // human-readable detail
}

func (w Warning) String() string { return w.Code + ": " + w.Message }

// Warning codes. They are stored with scans, so existing codes never change.
const (
	WarnDataMD5Mismatch  = "md5-data-mismatch"  // MD5 of data.bin differs from Record3
	WarnValidMD5Mismatch = "md5-valid-mismatch" // MD5 of valid.bin differs from Record3
	WarnMainMD5Mismatch  = "md5-main-mismatch"  // md5checksum.hex differs from MD5 of main.xml
	WarnMainMD5Missing   = "md5-main-missing"   // no md5checksum.hex (or unreadable)
	WarnDataMD5Missing   = "md5-data-missing"   // Record3 carries no data checksum
	WarnLayers           = "layers"             // SizeZ > 1: only layer 1 was read
	WarnAbsoluteAxis     = "absolute-lateral-axis"
	WarnMaskSize         = "mask-size"         // mask.png dimensions differ from the matrix
	WarnRotation         = "rotation"          // a non-identity Rotation was ignored
	WarnNonFinite        = "non-finite-height" // infinite heights read as missing
	WarnMemberSkipped    = "member-skipped"    // an unknown member too large to keep
	WarnZScaled          = "z-scaled"          // float Z with an offset or increment ≠ 1 (applied)
)
