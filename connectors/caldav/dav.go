package caldav

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/emersion/go-webdav/caldav"

	"confidant/connectors"
)

// calendar is one VEVENT calendar of the account.
type calendar struct {
	Path string // decoded path, with a trailing slash
	Name string // display name, or the last path segment
}

// discover finds the calendars: from the given URL to the user's principal,
// its calendar home set and the calendars in it. When the URL is itself a
// calendar, only that one is synced.
func (s *Source) discover(ctx context.Context) ([]calendar, error) {
	client, err := caldav.NewClient(authClient{s}, s.base.String())
	if err != nil {
		return nil, fmt.Errorf("caldav client: %w", err)
	}
	principal, err := client.FindCurrentUserPrincipal(ctx)
	if err != nil {
		return nil, notCalDAV(fmt.Errorf("find principal: %w", err))
	}
	home, err := client.FindCalendarHomeSet(ctx, principal)
	if err != nil {
		return nil, notCalDAV(fmt.Errorf("find calendar home set: %w", err))
	}
	found, err := client.FindCalendars(ctx, home)
	if err != nil {
		return nil, notCalDAV(fmt.Errorf("find calendars: %w", err))
	}
	var cals []calendar
	for _, c := range found {
		if !supportsEvents(c.SupportedComponentSet) {
			continue
		}
		p := withSlash(c.Path)
		name := c.Name
		if name == "" {
			name = path.Base(strings.TrimSuffix(p, "/"))
		}
		cals = append(cals, calendar{Path: p, Name: name})
	}
	sort.Slice(cals, func(i, j int) bool { return cals[i].Path < cals[j].Path })
	given := withSlash(s.base.Path)
	for _, c := range cals {
		if c.Path == given {
			return []calendar{c}, nil
		}
	}
	if len(cals) == 0 {
		return nil, &connectors.Error{Code: "not_caldav", Message: "No calendar with events was found for this account at this address."}
	}
	return cals, nil
}

// notCalDAV classifies a discovery failure: an answer that is not WebDAV
// (a web page where a multistatus was due) means the address is not a
// CalDAV server.
func notCalDAV(err error) error {
	c := classify(err)
	var ce *connectors.Error
	var se *statusError
	if errors.As(c, &ce) && ce.Code == "server" && !errors.As(err, &se) {
		return &connectors.Error{Code: "not_caldav", Message: "The address does not lead to a CalDAV calendar server.", Err: err}
	}
	return c
}

func supportsEvents(comps []string) bool {
	if len(comps) == 0 {
		return true // not declared: any component
	}
	for _, c := range comps {
		if strings.EqualFold(c, "VEVENT") {
			return true
		}
	}
	return false
}

func withSlash(p string) string {
	if !strings.HasSuffix(p, "/") {
		return p + "/"
	}
	return p
}

// multistatus is a WebDAV 207 answer, as far as this package reads it.
type multistatus struct {
	Responses []davResponse `xml:"DAV: response"`
	SyncToken string        `xml:"DAV: sync-token"`
}

type davResponse struct {
	Href      string     `xml:"DAV: href"`
	Status    string     `xml:"DAV: status"`
	Propstats []propstat `xml:"DAV: propstat"`
}

type propstat struct {
	Status string `xml:"DAV: status"`
	Prop   struct {
		ETag         string `xml:"DAV: getetag"`
		CalendarData string `xml:"urn:ietf:params:xml:ns:caldav calendar-data"`
		ResourceType struct {
			Collection *struct{} `xml:"DAV: collection"`
		} `xml:"DAV: resourcetype"`
	} `xml:"DAV: prop"`
}

// path returns the response's href as a decoded path.
func (r davResponse) path() (string, error) {
	u, err := url.Parse(strings.TrimSpace(r.Href))
	if err != nil {
		return "", fmt.Errorf("bad href in answer: %w", err)
	}
	return u.Path, nil
}

// found reports whether the response names a present resource (no
// error status of its own) and returns its successful propstat, if any.
func (r davResponse) found() (propstat, bool) {
	if r.Status != "" && !statusOK(r.Status) {
		return propstat{}, false
	}
	for _, ps := range r.Propstats {
		if statusOK(ps.Status) {
			return ps, true
		}
	}
	return propstat{}, true
}

func statusOK(line string) bool {
	f := strings.Fields(line)
	return len(f) >= 2 && strings.HasPrefix(f[1], "2")
}

func (s *Source) report(ctx context.Context, method, p, depth, body string) (*multistatus, error) {
	resp, err := s.request(ctx, method, p, strings.NewReader(xml.Header+body), map[string]string{
		"Content-Type": `application/xml; charset="utf-8"`,
		"Depth":        depth,
	})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus {
		return nil, fmt.Errorf("%s answered %d instead of 207", method, resp.StatusCode)
	}
	var ms multistatus
	if err := xml.NewDecoder(io.LimitReader(resp.Body, 256<<20)).Decode(&ms); err != nil {
		return nil, fmt.Errorf("%s answer unreadable: %w", method, err)
	}
	return &ms, nil
}

// listing is what a calendar holds or what changed in it.
type listing struct {
	ETags   map[string]string // href → etag, of present (or changed) objects
	Removed []string          // hrefs gone (only from a sync-collection delta)
	Token   string            // the new sync token; "" when not offered
	Delta   bool              // ETags holds only changes since the old token
}

// errInvalidToken is a sync token the server no longer accepts.
var errInvalidToken = errors.New("sync token no longer valid")

// syncCollection runs an RFC 6578 sync-collection REPORT from token ("" for
// everything).
func (s *Source) syncCollection(ctx context.Context, cal string, token string) (*listing, error) {
	body := `<D:sync-collection xmlns:D="DAV:"><D:sync-token>` + escape(token) +
		`</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`
	ms, err := s.report(ctx, "REPORT", cal, "0", body)
	if err != nil {
		var se *statusError
		if token != "" && errors.As(err, &se) && (se.Status == http.StatusForbidden || se.Status == http.StatusConflict || se.Status == http.StatusBadRequest) {
			return nil, errInvalidToken
		}
		return nil, err
	}
	l := &listing{ETags: map[string]string{}, Token: ms.SyncToken, Delta: token != ""}
	for _, r := range ms.Responses {
		p, err := r.path()
		if err != nil {
			return nil, err
		}
		if withSlash(p) == cal {
			continue
		}
		ps, ok := r.found()
		switch {
		case !ok:
			l.Removed = append(l.Removed, p)
		case ps.Prop.ResourceType.Collection != nil:
		default:
			l.ETags[p] = ps.Prop.ETag
		}
	}
	return l, nil
}

// listETags lists a calendar's objects with a Depth: 1 PROPFIND, for
// servers without sync-collection.
func (s *Source) listETags(ctx context.Context, cal string) (*listing, error) {
	body := `<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getetag/></D:prop></D:propfind>`
	ms, err := s.report(ctx, "PROPFIND", cal, "1", body)
	if err != nil {
		return nil, err
	}
	l := &listing{ETags: map[string]string{}}
	for _, r := range ms.Responses {
		p, err := r.path()
		if err != nil {
			return nil, err
		}
		ps, ok := r.found()
		if !ok || withSlash(p) == cal || ps.Prop.ResourceType.Collection != nil {
			continue
		}
		l.ETags[p] = ps.Prop.ETag
	}
	return l, nil
}

// object is one fetched calendar object.
type object struct {
	Href, ETag string
	Data       []byte
	Gone       bool // not found any more
}

// multiget fetches calendar objects with a calendar-multiget REPORT. Every
// requested href comes back, as Gone when the server did not return it.
func (s *Source) multiget(ctx context.Context, cal string, hrefs []string) ([]object, error) {
	var b bytes.Buffer
	b.WriteString(`<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>`)
	for _, h := range hrefs {
		b.WriteString("<D:href>" + escape((&url.URL{Path: h}).EscapedPath()) + "</D:href>")
	}
	b.WriteString(`</C:calendar-multiget>`)
	ms, err := s.report(ctx, "REPORT", cal, "1", b.String())
	if err != nil {
		return nil, err
	}
	got := map[string]object{}
	for _, r := range ms.Responses {
		p, err := r.path()
		if err != nil {
			return nil, err
		}
		ps, ok := r.found()
		if !ok || ps.Prop.CalendarData == "" {
			got[p] = object{Href: p, Gone: true}
			continue
		}
		got[p] = object{Href: p, ETag: ps.Prop.ETag, Data: []byte(ps.Prop.CalendarData)}
	}
	out := make([]object, 0, len(hrefs))
	for _, h := range hrefs {
		o, ok := got[h]
		if !ok {
			o = object{Href: h, Gone: true}
		}
		out = append(out, o)
	}
	return out, nil
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
