package trinet

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

// TriNet names a field it rejects by its JSON path in the request
// ("biographicalInfo.gender"); the engine and the admin know the field by its
// catalog target ("gender"), and this client reports it so. The paths are
// not a second table to keep beside the catalog: each target's value is
// placed by the catalog itself (provision.Target.Carrying) in the requests
// that carry it and put through this client's own body builders, and where it
// lands is the path TriNet knows it by. A target added to the catalog is
// found here with no change.

// probeValue is a value every body builder passes through as it is; a
// number, because a hire sends the standard hours as one.
const probeValue = "97.25"

// pathTargets are one request's paths by target.
type pathTargets struct {
	exact map[string]string // path → target
	last  map[string]string // a path's last part → the first target in catalog order
}

func newPathTargets() *pathTargets {
	return &pathTargets{exact: map[string]string{}, last: map[string]string{}}
}

func (p *pathTargets) add(path, target string) {
	if _, dup := p.exact[path]; !dup {
		p.exact[path] = target
	}
	last := path[strings.LastIndexByte(path, '.')+1:]
	if _, dup := p.last[last]; !dup {
		p.last[last] = target
	}
}

// writePaths are the write calls' paths by target (by endpoint), and all of
// them together under "".
var writePaths = sync.OnceValue(func() map[string]*pathTargets {
	idx := map[string]*pathTargets{"": newPathTargets()}
	add := func(endpoint, target string, body any) {
		b, err := json.Marshal(body)
		if err != nil {
			return
		}
		if idx[endpoint] == nil {
			idx[endpoint] = newPathTargets()
		}
		for _, path := range pathsOf(b, probeValue) {
			idx[endpoint].add(path, target)
			idx[""].add(path, target)
		}
	}
	for _, t := range provision.Fields().Targets {
		r := t.Carrying(probeValue)
		if r.Hire != nil {
			if body, err := hireBody(*r.Hire); err == nil {
				add(epHire, t.Target, body)
			}
		}
		if r.Names != nil {
			add(epNames, t.Target, namesBody(*r.Names))
		}
		if r.Personals != nil {
			add(epPersonals, t.Target, personalsBody(*r.Personals))
		}
		if r.Jobs != nil {
			add(epJobs, t.Target, jobsBody(*r.Jobs))
		}
	}
	return idx
})

// pathsOf lists the paths of a JSON body (dot-separated object keys) whose
// value is v.
func pathsOf(body []byte, v string) []string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return nil
	}
	var out []string
	var walk func(prefix string, x any)
	walk = func(prefix string, x any) {
		switch x := x.(type) {
		case map[string]any:
			for k, sub := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, sub)
			}
		case string:
			if x == v {
				out = append(out, prefix)
			}
		case json.Number:
			if x.String() == v {
				out = append(out, prefix)
			}
		}
	}
	walk("", doc)
	return out
}

// targetOf is the catalog target TriNet's field path f names in a rejected
// write to endpoint: the path as this client sends it in that call, else its
// last part (TriNet may name a field without its block), and then the same
// across the write calls. A path nothing matches, and any field of a call
// that writes nothing, is kept as TriNet wrote it.
func targetOf(endpoint, f string) string {
	idx := writePaths()
	call, writes := idx[endpoint]
	if f == "" || !writes {
		return f
	}
	last := f[strings.LastIndexByte(f, '.')+1:]
	for _, p := range []*pathTargets{call, idx[""]} {
		if t, ok := p.exact[f]; ok {
			return t
		}
		if t, ok := p.last[last]; ok {
			return t
		}
	}
	return f
}

// inTargets names the field of a validation error of this client's own by
// its catalog target.
func inTargets(endpoint string, err error) error {
	var fe *fault.Error
	if !errors.As(err, &fe) || fe.Class != fault.Validation || fe.Field == "" {
		return err
	}
	if t := targetOf(endpoint, fe.Field); t != fe.Field {
		return &fault.Error{Class: fe.Class, Field: t, Message: fe.Message, Err: fe.Err}
	}
	return err
}
