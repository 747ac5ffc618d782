package x3p

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// node is a parsed XML element. main.xml is small and its schema loose in
// practice (element order varies, vendors add elements), so we parse it into
// a tree and pick fields by local name instead of unmarshalling into structs.
type node struct {
	name     xml.Name
	attrs    []xml.Attr
	children []*node
	text     string   // concatenated character data, untrimmed
	datums   []string // Datum values (trimmed) when this is a DataList
}

// child returns the first child with the given local name, or nil.
func (n *node) child(local string) *node {
	if n == nil {
		return nil
	}
	for _, c := range n.children {
		if c.name.Local == local {
			return c
		}
	}
	return nil
}

// path follows local names from n; nil when any step is missing.
func (n *node) path(locals ...string) *node {
	for _, l := range locals {
		n = n.child(l)
	}
	return n
}

// value returns the trimmed text of n ("" for nil).
func (n *node) value() string {
	if n == nil {
		return ""
	}
	return strings.TrimSpace(n.text)
}

func (n *node) attr(local string) string {
	for _, a := range n.attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// xmlLimits bounds the tree built by parseXML.
type xmlLimits struct {
	maxDepth  int
	maxElems  int  // elements other than DataList/Datum
	maxDatums int  // Datum elements of an inline DataList
	fragment  bool // a single element to embed: no directives, comments or PIs
}

// parseXML parses data into a tree. The Datum children of a DataList are
// kept compactly as strings (datums) rather than as nodes, because an inline
// DataList holds one element per point.
func parseXML(data []byte, lim xmlLimits) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return input, nil
		}
		return nil, fmt.Errorf("unsupported XML encoding %q (want UTF-8)", charset)
	}
	var root *node
	var stack []*node
	var texts [][]byte // character data of each open element
	elems := 0
	inDatum := false
	var datum []byte
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if inDatum {
				return nil, errors.New("element inside <Datum>")
			}
			if len(stack) > 0 && stack[len(stack)-1].name.Local == "DataList" && t.Name.Local == "Datum" {
				p := stack[len(stack)-1]
				if len(p.datums) >= lim.maxDatums {
					return nil, fmt.Errorf("more than %d Datum elements", lim.maxDatums)
				}
				inDatum, datum = true, datum[:0]
				continue
			}
			elems++
			if elems > lim.maxElems {
				return nil, fmt.Errorf("more than %d XML elements", lim.maxElems)
			}
			if len(stack) >= lim.maxDepth {
				return nil, fmt.Errorf("XML nested deeper than %d levels", lim.maxDepth)
			}
			n := &node{name: t.Name, attrs: append([]xml.Attr(nil), t.Attr...)}
			if len(stack) == 0 {
				if root != nil {
					return nil, errors.New("more than one root element")
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
			texts = append(texts, nil)
		case xml.EndElement:
			if inDatum {
				p := stack[len(stack)-1]
				p.datums = append(p.datums, strings.TrimSpace(string(datum)))
				inDatum = false
				continue
			}
			stack[len(stack)-1].text = string(texts[len(texts)-1])
			stack, texts = stack[:len(stack)-1], texts[:len(texts)-1]
		case xml.CharData:
			switch {
			case inDatum:
				datum = append(datum, t...)
			case len(stack) > 0:
				texts[len(texts)-1] = append(texts[len(texts)-1], t...)
			case lim.fragment && len(bytes.TrimSpace(t)) > 0:
				// Documents may start with a byte-order mark, which the
				// decoder reports as text; fragments must be one element.
				return nil, errors.New("text outside the element")
			}
		case xml.Comment, xml.ProcInst, xml.Directive:
			if lim.fragment {
				return nil, fmt.Errorf("%T not allowed in an embedded element", t)
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

const xmlNamespace = "http://www.w3.org/XML/1998/namespace"

// writeNode serialises n as XML. Elements in a namespace other than their
// parent's get a default-namespace declaration, so the fragment is
// self-contained wherever it is inserted.
func writeNode(b *strings.Builder, n *node, parentSpace string) {
	b.WriteString("<")
	b.WriteString(n.name.Local)
	if n.name.Space != parentSpace {
		fmt.Fprintf(b, ` xmlns="%s"`, escapeAttr(n.name.Space))
	}
	prefixes := 0
	for _, a := range n.attrs {
		switch {
		case a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns"):
			// namespace declarations are regenerated
		case a.Name.Space == "":
			fmt.Fprintf(b, ` %s="%s"`, a.Name.Local, escapeAttr(a.Value))
		case a.Name.Space == xmlNamespace:
			fmt.Fprintf(b, ` xml:%s="%s"`, a.Name.Local, escapeAttr(a.Value))
		default:
			prefixes++
			fmt.Fprintf(b, ` xmlns:a%d="%s" a%d:%s="%s"`, prefixes, escapeAttr(a.Name.Space), prefixes, a.Name.Local, escapeAttr(a.Value))
		}
	}
	if len(n.children) == 0 && strings.TrimSpace(n.text) == "" {
		b.WriteString("/>")
		return
	}
	b.WriteString(">")
	if len(n.children) == 0 {
		b.WriteString(escapeText(n.text))
	} else {
		for _, c := range n.children {
			writeNode(b, c, n.name.Space)
		}
	}
	b.WriteString("</")
	b.WriteString(n.name.Local)
	b.WriteString(">")
}

func escapeText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func escapeAttr(s string) string { return escapeText(s) }
