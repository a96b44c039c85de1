package imap

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// cursor is where a sync resumes: per folder, the UIDVALIDITY the UIDs
// belong to, the UIDs synced, the highest UID looked at and, with
// CONDSTORE, the mod-sequence up to which flag changes were taken.
type cursor struct {
	Version int                     `json:"v"`
	Folders map[string]*folderState `json:"folders"`
}

type folderState struct {
	UIDValidity uint32    `json:"uidvalidity"`
	LastUID     uint32    `json:"last_uid"`
	UIDNext     uint32    `json:"uidnext,omitempty"`
	ModSeq      uint64    `json:"modseq,omitempty"`
	Known       uidRanges `json:"known"`
}

const cursorVersion = 1

func decodeCursor(b []byte) (*cursor, error) {
	c := &cursor{Version: cursorVersion, Folders: map[string]*folderState{}}
	if len(b) == 0 {
		return c, nil
	}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, err
	}
	if c.Version != cursorVersion {
		return nil, fmt.Errorf("cursor version %d", c.Version)
	}
	if c.Folders == nil {
		c.Folders = map[string]*folderState{}
	}
	return c, nil
}

func (c *cursor) encode() []byte {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // plain structs of numbers and strings always marshal
	}
	return b
}

// uidRanges is a set of UIDs as sorted, disjoint, non-adjacent ranges,
// written "1:5,7,9:12" so that a cursor stays small for large folders.
type uidRanges []uidRange

type uidRange struct{ lo, hi uint32 }

// add inserts uid; adding above the highest UID, the usual case, is O(1).
func (r *uidRanges) add(uid uint32) {
	s := *r
	if n := len(s); n == 0 || uid > s[n-1].hi {
		if n > 0 && uid == s[n-1].hi+1 {
			s[n-1].hi = uid
		} else {
			s = append(s, uidRange{uid, uid})
		}
		*r = s
		return
	}
	if r.contains(uid) {
		return
	}
	s = append(s, uidRange{uid, uid})
	sort.Slice(s, func(i, j int) bool { return s[i].lo < s[j].lo })
	*r = merge(s)
}

func merge(s []uidRange) uidRanges {
	out := s[:0]
	for _, x := range s {
		if n := len(out); n > 0 && x.lo <= out[n-1].hi+1 {
			out[n-1].hi = max(out[n-1].hi, x.hi)
			continue
		}
		out = append(out, x)
	}
	return out
}

func (r uidRanges) contains(uid uint32) bool {
	i := sort.Search(len(r), func(i int) bool { return r[i].hi >= uid })
	return i < len(r) && r[i].lo <= uid
}

// remove deletes the given UIDs (sorted or not).
func (r *uidRanges) remove(uids []uint32) {
	if len(uids) == 0 {
		return
	}
	gone := make(map[uint32]bool, len(uids))
	for _, u := range uids {
		gone[u] = true
	}
	var out uidRanges
	r.each(func(u uint32) {
		if !gone[u] {
			out.add(u)
		}
	})
	*r = out
}

func (r uidRanges) each(f func(uint32)) {
	for _, x := range r {
		for u := x.lo; ; u++ {
			f(u)
			if u == x.hi {
				break
			}
		}
	}
}

func (r uidRanges) count() int {
	n := 0
	for _, x := range r {
		n += int(x.hi-x.lo) + 1
	}
	return n
}

func (r uidRanges) String() string {
	var b strings.Builder
	for i, x := range r {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(uint64(x.lo), 10))
		if x.hi != x.lo {
			b.WriteByte(':')
			b.WriteString(strconv.FormatUint(uint64(x.hi), 10))
		}
	}
	return b.String()
}

func (r uidRanges) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

func (r *uidRanges) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	var out []uidRange
	for _, part := range strings.Split(s, ",") {
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, ":")
		if !isRange {
			hi = lo
		}
		l, err := strconv.ParseUint(lo, 10, 32)
		if err != nil {
			return fmt.Errorf("uid set %q: %w", part, err)
		}
		h, err := strconv.ParseUint(hi, 10, 32)
		if err != nil || h < l {
			return fmt.Errorf("uid set %q: bad range", part)
		}
		out = append(out, uidRange{uint32(l), uint32(h)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].lo < out[j].lo })
	*r = merge(out)
	return nil
}
