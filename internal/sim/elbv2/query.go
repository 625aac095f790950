package elbv2sim

import (
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The codec between the awsQuery wire form and the Go types of this package.
// Both directions are driven by reflection over the field names, which are
// the API's member names:
//
//   - a struct member X.Y is the form key "X.Y" and the element <X><Y>;
//   - a list is "X.member.N" (N from 1) and <X><member>…</member></X>; the SDK
//     sends an empty list as "X=" and this codec reads that as an empty,
//     non-nil slice;
//   - a map is "X.entry.N.key" / "X.entry.N.value" and
//     <X><entry><key/><value/></entry></X>, written in key order;
//   - pointers mark optional members: nil is absent, non-nil is sent even
//     when it points to a zero value; a plain string (an enum) is absent when
//     empty.
//
// A form key that names no member is rejected, so nothing a client sends is
// ever dropped silently.

// qnode is one level of the dotted form keys.
type qnode struct {
	path string
	val  *string
	kids map[string]*qnode
}

func (n *qnode) kid(name string) *qnode {
	if n.kids == nil {
		n.kids = map[string]*qnode{}
	}
	k := n.kids[name]
	if k == nil {
		p := name
		if n.path != "" {
			p = n.path + "." + name
		}
		k = &qnode{path: p}
		n.kids[name] = k
	}
	return k
}

// paramError is a malformed or unknown request parameter.
type paramError struct{ msg string }

func (e *paramError) Error() string { return e.msg }

func paramErrorf(format string, args ...any) error {
	return &paramError{msg: fmt.Sprintf(format, args...)}
}

// decodeForm decodes form into out (a pointer to a struct), ignoring the
// keys in skip.
func decodeForm(form url.Values, skip map[string]bool, out any) error {
	root := &qnode{}
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if skip[k] {
			continue
		}
		vs := form[k]
		if len(vs) != 1 {
			return paramErrorf("parameter %s is given %d times", k, len(vs))
		}
		n := root
		for _, part := range strings.Split(k, ".") {
			if part == "" {
				return paramErrorf("malformed parameter name %q", k)
			}
			n = n.kid(part)
		}
		v := vs[0]
		n.val = &v
	}
	return decodeValue(root, reflect.ValueOf(out).Elem())
}

var timeType = reflect.TypeOf(time.Time{})

func decodeValue(n *qnode, v reflect.Value) error {
	name := n.path
	switch v.Kind() {
	case reflect.Pointer:
		nv := reflect.New(v.Type().Elem())
		if err := decodeValue(n, nv.Elem()); err != nil {
			return err
		}
		v.Set(nv)
		return nil
	case reflect.Struct:
		if v.Type() == timeType {
			return paramErrorf("parameter %s is not supported", name)
		}
		if n.val != nil && *n.val != "" {
			return paramErrorf("parameter %s is a structure, not a value", name)
		}
		names := make([]string, 0, len(n.kids))
		for k := range n.kids {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			f, ok := v.Type().FieldByName(k)
			if !ok || !f.IsExported() || f.Anonymous {
				return paramErrorf("unknown parameter %s", n.kids[k].path)
			}
			if err := decodeValue(n.kids[k], v.FieldByIndex(f.Index)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		if len(n.kids) == 0 {
			if n.val != nil && *n.val == "" {
				v.Set(reflect.MakeSlice(v.Type(), 0, 0))
				return nil
			}
			return paramErrorf("parameter %s is a list: use %s.member.N", name, name)
		}
		m, ok := n.kids["member"]
		if len(n.kids) != 1 || !ok {
			return paramErrorf("parameter %s is a list: use %s.member.N", name, name)
		}
		items, err := indexed(m)
		if err != nil {
			return err
		}
		s := reflect.MakeSlice(v.Type(), len(items), len(items))
		for i, it := range items {
			if err := decodeValue(it, s.Index(i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String || v.Type().Elem().Kind() != reflect.String {
			return paramErrorf("parameter %s is not supported", name)
		}
		mp := reflect.MakeMap(v.Type())
		if len(n.kids) == 0 {
			if n.val != nil && *n.val == "" {
				v.Set(mp)
				return nil
			}
			return paramErrorf("parameter %s is a map: use %s.entry.N.key and .value", name, name)
		}
		e, ok := n.kids["entry"]
		if len(n.kids) != 1 || !ok {
			return paramErrorf("parameter %s is a map: use %s.entry.N.key and .value", name, name)
		}
		items, err := indexed(e)
		if err != nil {
			return err
		}
		for _, it := range items {
			k, kv := it.kids["key"], it.kids["value"]
			if len(it.kids) != 2 || k == nil || kv == nil || k.val == nil || kv.val == nil || len(k.kids) > 0 || len(kv.kids) > 0 {
				return paramErrorf("map entry %s needs exactly a key and a value", it.path)
			}
			key := reflect.ValueOf(*k.val).Convert(v.Type().Key())
			if mp.MapIndex(key).IsValid() {
				return paramErrorf("map %s has the key %q twice", name, *k.val)
			}
			mp.SetMapIndex(key, reflect.ValueOf(*kv.val).Convert(v.Type().Elem()))
		}
		v.Set(mp)
		return nil
	}
	// Scalars.
	if len(n.kids) > 0 {
		for k := range n.kids {
			return paramErrorf("unknown parameter %s", n.kids[k].path)
		}
	}
	if n.val == nil {
		return paramErrorf("parameter %s has no value", name)
	}
	s := *n.val
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int32, reflect.Int64, reflect.Int:
		i, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return paramErrorf("value %q for parameter %s is not a valid integer", s, name)
		}
		v.SetInt(i)
	case reflect.Bool:
		switch s {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			return paramErrorf("value %q for parameter %s is not a valid boolean", s, name)
		}
	default:
		return paramErrorf("parameter %s is not supported", name)
	}
	return nil
}

// indexed returns the children of n, which must be named 1, 2, …, in index
// order.
func indexed(n *qnode) ([]*qnode, error) {
	type item struct {
		i int
		n *qnode
	}
	if n.val != nil && len(n.kids) == 0 {
		return nil, paramErrorf("parameter %s needs an index", n.path)
	}
	items := make([]item, 0, len(n.kids))
	for k, c := range n.kids {
		i, err := strconv.Atoi(k)
		if err != nil || i < 1 || strconv.Itoa(i) != k {
			return nil, paramErrorf("parameter %s: %q is not a list index", n.path, k)
		}
		items = append(items, item{i, c})
	}
	sort.Slice(items, func(a, b int) bool { return items[a].i < items[b].i })
	out := make([]*qnode, len(items))
	for j, it := range items {
		if it.i != j+1 {
			return nil, paramErrorf("parameter %s: indexes must run 1..N without gaps (missing %d)", n.path, j+1)
		}
		out[j] = it.n
	}
	return out, nil
}

// encodeFields writes the members of the struct v as XML elements.
func encodeFields(b *strings.Builder, v reflect.Value) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		encodeValue(b, f.Name, v.Field(i), false)
	}
}

func encodeValue(b *strings.Builder, name string, v reflect.Value, present bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		encodeValue(b, name, v.Elem(), true)
		return
	case reflect.Struct:
		if v.Type() == timeType {
			writeElem(b, name, v.Interface().(time.Time).UTC().Format("2006-01-02T15:04:05.000Z"))
			return
		}
		b.WriteString("<" + name + ">")
		encodeFields(b, v)
		b.WriteString("</" + name + ">")
		return
	case reflect.Slice:
		if v.IsNil() {
			return
		}
		b.WriteString("<" + name + ">")
		for i := 0; i < v.Len(); i++ {
			encodeValue(b, "member", v.Index(i), true)
		}
		b.WriteString("</" + name + ">")
		return
	case reflect.Map:
		if v.IsNil() {
			return
		}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		b.WriteString("<" + name + ">")
		for _, k := range keys {
			b.WriteString("<entry>")
			writeElem(b, "key", k.String())
			writeElem(b, "value", v.MapIndex(k).String())
			b.WriteString("</entry>")
		}
		b.WriteString("</" + name + ">")
		return
	case reflect.String:
		if v.String() == "" && !present {
			return
		}
		writeElem(b, name, v.String())
	case reflect.Int32, reflect.Int64, reflect.Int:
		writeElem(b, name, strconv.FormatInt(v.Int(), 10))
	case reflect.Bool:
		writeElem(b, name, strconv.FormatBool(v.Bool()))
	}
}

func writeElem(b *strings.Builder, name, text string) {
	b.WriteString("<" + name + ">")
	xmlEscape(b, text)
	b.WriteString("</" + name + ">")
}

func xmlEscape(b *strings.Builder, s string) {
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		case '\r':
			b.WriteString("&#xD;")
		case '\n':
			b.WriteString("&#xA;")
		case '\t':
			b.WriteString("&#x9;")
		default:
			if r < 0x20 || r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF) {
				b.WriteString("\uFFFD")
				continue
			}
			b.WriteRune(r)
		}
	}
}

// deepCopy returns a copy of v that shares no pointers, slices or maps
// with it.
func deepCopy[T any](v T) T {
	var out T
	copyValue(reflect.ValueOf(&out).Elem(), reflect.ValueOf(v))
	return out
}

func copyValue(dst, src reflect.Value) {
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		nv := reflect.New(src.Type().Elem())
		copyValue(nv.Elem(), src.Elem())
		dst.Set(nv)
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := 0; i < src.Len(); i++ {
			copyValue(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		iter := src.MapRange()
		for iter.Next() {
			nv := reflect.New(src.Type().Elem()).Elem()
			copyValue(nv, iter.Value())
			m.SetMapIndex(iter.Key(), nv)
		}
		dst.Set(m)
	case reflect.Struct:
		if src.Type() == timeType {
			dst.Set(src)
			return
		}
		for i := 0; i < src.NumField(); i++ {
			if !src.Type().Field(i).IsExported() {
				continue
			}
			copyValue(dst.Field(i), src.Field(i))
		}
	default:
		dst.Set(src)
	}
}
