package imap

import (
	"bytes"
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	gomail "github.com/emersion/go-message/mail"

	"confidant/connectors"
)

// defaultDraftsFolder is used, and created if missing, when the server
// marks no folder \Drafts.
const defaultDraftsFolder = "Drafts"

// SaveDraft implements connectors.DraftSaver: it stores d as a new
// message flagged \Draft in the account's drafts folder. It never sends.
func (s *Source) SaveDraft(ctx context.Context, d connectors.Draft) (string, error) {
	raw, err := buildDraft(d, s.fromAddress(), time.Now())
	if err != nil {
		return "", err
	}
	c, stop, err := s.connect(ctx)
	if err != nil {
		return "", err
	}
	defer func() {
		stop()
		c.Logout().Wait()
		c.Close()
	}()
	res, err := appendDraft(c, raw)
	if err != nil {
		var ce *connectors.Error
		if errors.As(err, &ce) {
			return "", err
		}
		return "", s.fail(ctx, err)
	}
	return res, nil
}

func appendDraft(c *imapclient.Client, raw []byte) (string, error) {
	folder, err := draftsFolder(c)
	if err != nil {
		return "", err
	}
	cmd := c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagDraft, imap.FlagSeen}})
	if _, err := cmd.Write(raw); err != nil {
		return "", err
	}
	if err := cmd.Close(); err != nil {
		return "", err
	}
	data, err := cmd.Wait()
	if err != nil {
		var imapErr *imap.Error
		if errors.As(err, &imapErr) && imapErr.Code == imap.ResponseCodeTooBig {
			return "", &connectors.Error{Code: "too_large", Err: err,
				Message: "The mail server refused the draft as too large."}
		}
		return "", err
	}
	validity, uid := data.UIDValidity, uint32(data.UID)
	if validity == 0 { // no UIDPLUS: name the folder's message by its validity only
		st, err := c.Status(folder, &imap.StatusOptions{UIDValidity: true}).Wait()
		if err != nil {
			return "", err
		}
		validity = st.UIDValidity
	}
	return resource(folder, validity, uid), nil
}

// draftsFolder finds the \Drafts folder, else "Drafts", creating it.
func draftsFolder(c *imapclient.Client) (string, error) {
	caps := c.Caps()
	var opts *imap.ListOptions
	if caps.Has(imap.CapSpecialUse) && caps.Has(imap.CapListExtended) {
		opts = &imap.ListOptions{ReturnSpecialUse: true}
	}
	list, err := c.List("", "*", opts).Collect()
	if err != nil {
		return "", err
	}
	byName := ""
	for _, mb := range list {
		if hasAttr(mb.Attrs, imap.MailboxAttrDrafts) {
			return mb.Mailbox, nil
		}
		if strings.EqualFold(mb.Mailbox, defaultDraftsFolder) && !hasAttr(mb.Attrs, imap.MailboxAttrNoSelect) {
			byName = mb.Mailbox
		}
	}
	if byName != "" {
		return byName, nil
	}
	var create *imap.CreateOptions
	if caps.Has(imap.CapCreateSpecialUse) {
		create = &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{imap.MailboxAttrDrafts}}
	}
	if err := c.Create(defaultDraftsFolder, create).Wait(); err != nil {
		return "", err
	}
	return defaultDraftsFolder, nil
}

// fromAddress is the account's address: the user name when it is one,
// else user@host.
func (s *Source) fromAddress() string {
	if a, err := mail.ParseAddress(s.settings.Username); err == nil && strings.Contains(a.Address, "@") {
		return a.Address
	}
	return s.settings.Username + "@" + s.settings.Host
}

// buildDraft writes d as an RFC 5322 message: UTF-8 text in
// quoted-printable, RFC 2047 encoded subject and names, and In-Reply-To
// and References when it answers a message.
func buildDraft(d connectors.Draft, from string, now time.Time) ([]byte, error) {
	invalid := func(msg string) error { return &connectors.Error{Code: "invalid_draft", Message: msg} }
	to, err := parseAddresses(d.To)
	if err != nil {
		return nil, invalid("A recipient address is not valid.")
	}
	if len(to) == 0 {
		return nil, invalid("The draft needs at least one recipient.")
	}
	cc, err := parseAddresses(d.Cc)
	if err != nil {
		return nil, invalid("A Cc address is not valid.")
	}
	var h gomail.Header
	h.SetDate(now)
	h.SetAddressList("From", []*gomail.Address{{Address: from}})
	h.SetAddressList("To", to)
	if len(cc) > 0 {
		h.SetAddressList("Cc", cc)
	}
	h.SetSubject(strings.Join(strings.Fields(d.Subject), " "))
	domain := from[strings.LastIndex(from, "@")+1:]
	if err := h.GenerateMessageIDWithHostname(domain); err != nil {
		return nil, err
	}
	if id := strings.Trim(strings.TrimSpace(d.InReplyTo), "<>"); id != "" {
		if strings.ContainsAny(id, " \t\r\n<>") || !strings.Contains(id, "@") {
			return nil, invalid("The message replied to has an invalid Message-ID.")
		}
		h.SetMsgIDList("In-Reply-To", []string{id})
		h.SetMsgIDList("References", []string{id})
	}
	h.Set("MIME-Version", "1.0")
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	var buf bytes.Buffer
	w, err := gomail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	text := strings.ReplaceAll(strings.ReplaceAll(d.Text, "\r\n", "\n"), "\n", "\r\n")
	if _, err := w.Write([]byte(text)); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func parseAddresses(list []string) ([]*gomail.Address, error) {
	var out []*gomail.Address
	for _, s := range list {
		if strings.TrimSpace(s) == "" {
			continue
		}
		as, err := mail.ParseAddressList(s)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			out = append(out, &gomail.Address{Name: a.Name, Address: a.Address})
		}
	}
	return out, nil
}
