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
	text     string // concatenated character data, untrimmed
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

// parseXML parses data into a tree, refusing documents nested deeper than
// maxDepth or holding more than maxElems elements.
func parseXML(data []byte, maxDepth, maxElems int) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	// Accept the encodings declared by real files; any non-UTF-8 declaration
	// is read as UTF-8-compatible only if it is ASCII-compatible.
	d.CharsetReader = func(charset string, input io.Reader) (io.Reader, error) {
		switch strings.ToLower(charset) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return input, nil
		}
		return nil, fmt.Errorf("unsupported XML encoding %q (want UTF-8)", charset)
	}
	var root *node
	var stack []*node
	elems := 0
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
			elems++
			if elems > maxElems {
				return nil, fmt.Errorf("more than %d XML elements", maxElems)
			}
			if len(stack) >= maxDepth {
				return nil, fmt.Errorf("XML nested deeper than %d levels", maxDepth)
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
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(t)
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
