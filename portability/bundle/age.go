package bundle

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"filippo.io/age"
)

// MinPassphraseLen is the shortest passphrase an export accepts, in characters.
const MinPassphraseLen = 12

// ErrWeakPassphrase: a passphrase shorter than MinPassphraseLen.
var ErrWeakPassphrase = fmt.Errorf("bundle: a passphrase needs at least %d characters", MinPassphraseLen)

// ErrBadRecipient: not an age recipient (age1… or age1pq1…).
var ErrBadRecipient = errors.New("bundle: not an age recipient (age1…)")

// PassphraseRecipient encrypts to a passphrase with age's scrypt
// recipient. workFactor is scrypt's log2(N); 0 means age's default (18).
func PassphraseRecipient(passphrase string, workFactor int) (age.Recipient, error) {
	if utf8.RuneCountInString(passphrase) < MinPassphraseLen {
		return nil, ErrWeakPassphrase
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, fmt.Errorf("bundle: passphrase: %w", err)
	}
	if workFactor > 0 {
		r.SetWorkFactor(workFactor)
	}
	return r, nil
}

// ParseRecipient parses an age public key: X25519 ("age1…") or the
// post-quantum hybrid ("age1pq1…").
func ParseRecipient(s string) (age.Recipient, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "age1pq1") {
		r, err := age.ParseHybridRecipient(s)
		if err != nil {
			return nil, ErrBadRecipient
		}
		return r, nil
	}
	r, err := age.ParseX25519Recipient(s)
	if err != nil {
		return nil, ErrBadRecipient
	}
	return r, nil
}

// maxScryptWorkFactor bounds what opening a passphrase bundle may cost:
// 2^20 scrypt rounds, 1 GiB of memory.
const maxScryptWorkFactor = 20

// PassphraseIdentity opens a bundle encrypted to a passphrase.
func PassphraseIdentity(passphrase string) (age.Identity, error) {
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, fmt.Errorf("bundle: passphrase: %w", err)
	}
	// age accepts work factors up to 22 (4 GiB and about 15 s per try);
	// a bundle sets its own, and this server opens bundles others made.
	// Ours are written at age's default, 18.
	id.SetMaxWorkFactor(maxScryptWorkFactor)
	return id, nil
}

// ParseIdentities reads age identities ("AGE-SECRET-KEY-1…" lines, as
// age-keygen writes them).
func ParseIdentities(r io.Reader) ([]age.Identity, error) {
	ids, err := age.ParseIdentities(r)
	if err != nil {
		return nil, fmt.Errorf("bundle: identities: %w", err)
	}
	return ids, nil
}

// NewEncryptedWriter starts a bundle encrypted with age to the recipients
// on dst; Close ends both the bundle and the encryption.
func NewEncryptedWriter(dst io.Writer, m Manifest, recipients ...age.Recipient) (*Writer, error) {
	enc, err := age.Encrypt(dst, recipients...)
	if err != nil {
		return nil, fmt.Errorf("bundle: encrypt: %w", err)
	}
	w, err := NewWriter(enc, m)
	if err != nil {
		return nil, err
	}
	w.closer = enc
	return w, nil
}

// NewEncryptedReader decrypts an age-encrypted bundle with the identities
// and reads its manifest. A wrong passphrase or key is ErrWrongPassphrase;
// input that is not age is ErrNotBundle.
func NewEncryptedReader(src io.Reader, limits Limits, identities ...age.Identity) (*Reader, error) {
	eof := &eofReader{r: src}
	buffered := bufio.NewReader(eof)
	if intro, _ := buffered.Peek(len(ageIntro)); string(intro) != ageIntro {
		return nil, fmt.Errorf("%w: not an age file", ErrNotBundle)
	}
	plain, err := age.Decrypt(buffered, identities...)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return nil, ErrWrongPassphrase
		}
		if eof.hit {
			return nil, fmt.Errorf("%w: %w", ErrTruncated, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrNotBundle, err)
	}
	classify := func(err error) error {
		switch {
		case isSentinel(err):
			return err
		case errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Errorf("%w: %w", ErrTruncated, err)
		case eof.hit:
			// age failed to authenticate the chunk that ends the input:
			// the file was cut short (or its last chunk damaged).
			return fmt.Errorf("%w: %w", ErrTruncated, err)
		}
		return classifyPlain(err)
	}
	return newReader(plain, limits, classify, plain)
}

// ageIntro starts every binary age file.
const ageIntro = "age-encryption.org/v1\n"

// eofReader notes when its source has reached the end.
type eofReader struct {
	r   io.Reader
	hit bool
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil {
		e.hit = true
	}
	return n, err
}
