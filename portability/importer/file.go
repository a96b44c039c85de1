package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// AgeHeader begins every age-encrypted file, which is what a Confidant
// bundle is; ArmoredAgeHeader begins its ASCII-armoured form.
const (
	AgeHeader        = "age-encryption.org/v1\n"
	ArmoredAgeHeader = "-----BEGIN AGE ENCRYPTED FILE-----"
)

// File is an export whose format is known, ready to be read through.
type File struct {
	Format Format
	lim    Limits
	// open returns the JSON array of conversations, from the start.
	open func() (io.ReadCloser, error)
}

// Open detects data's format and returns it as a File. A Confidant bundle
// is reported (Format FormatConfidant) but not read here: Each refuses it.
func Open(data []byte, lim Limits) (*File, error) {
	return OpenReader(bytes.NewReader(data), int64(len(data)), lim)
}

// OpenReader is Open for a file of size bytes read through r, which is
// read piece by piece and never held whole: every pass over the File
// (Each, Count) reads it again from r.
func OpenReader(r io.ReaderAt, size int64, lim Limits) (*File, error) {
	lim = lim.WithDefaults()
	r = sourceReader{r: r}
	head := make([]byte, min(size, 512))
	if _, err := r.ReadAt(head, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	start, err := firstContent(r, size)
	if err != nil {
		return nil, err
	}
	armored := make([]byte, len(ArmoredAgeHeader))
	if start < size {
		if _, err := r.ReadAt(armored, start); err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
	}
	switch {
	case start == size:
		return nil, fail(ErrEmpty, "the file is empty")
	case bytes.HasPrefix(head, []byte(AgeHeader)) || bytes.Equal(armored, []byte(ArmoredAgeHeader)):
		return &File{Format: FormatConfidant, lim: lim}, nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")):
		open, err := openZip(r, size, lim)
		if err != nil {
			return nil, err
		}
		return detectJSON(open, lim)
	case armored[0] == '[' || armored[0] == '{':
		return detectJSON(func() (io.ReadCloser, error) { return io.NopCloser(io.NewSectionReader(r, start, size-start)), nil }, lim)
	}
	return nil, ErrUnknownFormat
}

// firstContent returns the offset of the first byte past a byte-order
// mark and blank space; size when there is none.
func firstContent(r io.ReaderAt, size int64) (int64, error) {
	var bom [3]byte
	off := int64(0)
	if n, _ := r.ReadAt(bom[:], 0); n == 3 && string(bom[:]) == "\xef\xbb\xbf" {
		off = 3
	}
	br := bufio.NewReaderSize(io.NewSectionReader(r, off, size-off), 64<<10)
	for {
		c, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return size, nil
		}
		if err != nil {
			return 0, err
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return off, nil
		}
		off++
	}
}

// detectJSON tells the format from the keys of the array's first element.
func detectJSON(open func() (io.ReadCloser, error), lim Limits) (*File, error) {
	r, err := open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	budget := &decodeBudget{r: r, max: lim.MaxConversationBytes}
	dec := json.NewDecoder(budget)
	if err := expectDelim(dec, '['); err != nil {
		return nil, err
	}
	if !dec.More() {
		return nil, ErrEmpty
	}
	budget.renew()
	var first map[string]json.RawMessage
	if err := dec.Decode(&first); err != nil {
		if e, ok := AsError(err); ok {
			return nil, e
		}
		return nil, jsonError(err, 1)
	}
	f := &File{lim: lim, open: open}
	switch {
	case has(first, "mapping") && (has(first, "current_node") || has(first, "create_time")):
		f.Format = FormatChatGPT
	case has(first, "chat_messages") && has(first, "uuid"):
		f.Format = FormatClaude
	case has(first, "chat") && hasHistory(first["chat"]):
		f.Format = FormatOpenWebUI
	default:
		return nil, ErrUnknownFormat
	}
	return f, nil
}

func has(m map[string]json.RawMessage, key string) bool { _, ok := m[key]; return ok }

func hasHistory(raw json.RawMessage) bool {
	var chat map[string]json.RawMessage
	if json.Unmarshal(raw, &chat) != nil {
		return false
	}
	return has(chat, "history") || has(chat, "messages")
}

// Each decodes the conversations one at a time, in file order, and calls
// fn with each (i counts from 0). It reads the whole file, so a pass with
// an fn that keeps nothing validates it in bounded memory.
func (f *File) Each(fn func(i int, c Conversation) error) error {
	parse, ok := parsers[f.Format]
	if !ok {
		return fail(ErrUnsupported, "%s", f.Format.Label())
	}
	r, err := f.open()
	if err != nil {
		return err
	}
	defer r.Close()
	budget := &decodeBudget{r: r, max: f.lim.MaxConversationBytes}
	dec := json.NewDecoder(budget)
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	for i := 0; dec.More(); i++ {
		if i >= f.lim.MaxConversations {
			return fail(ErrTooLarge, "more than %d conversations", f.lim.MaxConversations)
		}
		budget.renew()
		c, err := parse(dec, f.lim)
		if err != nil {
			if e, ok := AsError(err); ok {
				return &Error{Code: e.Code, Message: strings.TrimSuffix(e.Message, ".") + fmt.Sprintf(" (conversation %d).", i+1), kind: e.kind}
			}
			return jsonError(err, i+1)
		}
		if err := fn(i, c); err != nil {
			return err
		}
	}
	if err := expectDelim(dec, ']'); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if re, ok := asReadError(err); ok {
			return re
		}
		return fail(ErrMalformed, "there is more after the list of conversations")
	}
	return nil
}

// Count validates the whole file and returns how many conversations and
// messages it holds.
func (f *File) Count() (conversations, messages int, err error) {
	err = f.Each(func(_ int, c Conversation) error {
		conversations++
		messages += len(c.Messages)
		return nil
	})
	return conversations, messages, err
}

// parsers decode one conversation of each format from the array.
var parsers = map[Format]func(*json.Decoder, Limits) (Conversation, error){
	FormatChatGPT:   parseChatGPT,
	FormatClaude:    parseClaude,
	FormatOpenWebUI: parseOpenWebUI,
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return jsonError(err, 0)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		if want == '[' {
			return fail(ErrUnknownFormat, "expected a list of conversations")
		}
		return fail(ErrMalformed, "expected the list of conversations to end")
	}
	return nil
}

// jsonError turns a decoding error into a refusal a person can read.
func jsonError(err error, conversation int) error {
	if e, ok := AsError(err); ok {
		return e
	}
	if re, ok := asReadError(err); ok {
		return re
	}
	where := ""
	if conversation > 0 {
		where = fmt.Sprintf(" in conversation %d", conversation)
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return fail(ErrMalformed, "the file ends too early%s (was it cut off?)", where)
	case errors.As(err, &syntax):
		if strings.Contains(syntax.Error(), "exceeded max depth") {
			return fail(ErrMalformed, "it is nested too deeply%s", where)
		}
		return fail(ErrMalformed, "invalid JSON at byte %d%s", syntax.Offset, where)
	case errors.As(err, &typ):
		return fail(ErrMalformed, "the field %q has the wrong type%s", typ.Field, where)
	case strings.Contains(err.Error(), "exceeded max depth"):
		return fail(ErrMalformed, "it is nested too deeply%s", where)
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return fail(ErrMalformed, "it could not be read%s", where)
}

// Sniff tells from a file's first bytes whether it could be an import at
// all, and names the format when the bytes alone say it (a Confidant
// bundle); "" means JSON or zip, told apart by Open.
func Sniff(head []byte) (Format, error) {
	trimmed := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return "", fail(ErrEmpty, "the file is empty")
	case bytes.HasPrefix(head, []byte(AgeHeader)) || bytes.HasPrefix(trimmed, []byte(ArmoredAgeHeader)):
		return FormatConfidant, nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), trimmed[0] == '[':
		return "", nil
	}
	return "", ErrUnknownFormat
}

// decodeBudget bounds how much one decoded value may read: the decoder
// holds a whole conversation in memory, so a file of one enormous
// conversation (or title) is refused at the budget instead of being
// held. renew starts the budget for the next value; the decoder's
// read-ahead counts against it, which a generous budget absorbs.
type decodeBudget struct {
	r    io.Reader
	max  int64
	read int64 // since renew
}

func (b *decodeBudget) renew() { b.read = 0 }

func (b *decodeBudget) Read(p []byte) (int, error) {
	if b.read > b.max {
		return 0, fail(ErrTooLarge, "a conversation is larger than %d MiB", b.max>>20)
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}
