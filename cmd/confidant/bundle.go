package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"filippo.io/age"
	"golang.org/x/term"

	"confidant/portability/bundle"
)

// bundleUsage describes `confidant bundle`.
const bundleUsage = "bundle inspect FILE [--identity FILE] [--json] | bundle decrypt FILE [--out DIR] [--identity FILE]"

// passphraseEnv holds the passphrase of an export, for scripts.
const passphraseEnv = "CONFIDANT_PASSPHRASE"

// bundleCmd runs `confidant bundle inspect|decrypt FILE` on an export the
// user downloaded: inspect reads it whole, checks every checksum and
// prints its manifest and counts; decrypt writes its files to a new
// directory. The key is an age identity file (--identity), or else the
// passphrase from CONFIDANT_PASSPHRASE or a terminal prompt. A bundle that
// is not encrypted (as the fork transfer carries it) needs neither.
func bundleCmd(args []string, getenv func(string) string, stdin *os.File, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "inspect" && args[0] != "decrypt") {
		return fmt.Errorf("%w: %s", errUsage, bundleUsage)
	}
	sub := args[0]
	fs := flag.NewFlagSet("bundle "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	identityFile := fs.String("identity", "", "age identity file (as age-keygen writes it) instead of a passphrase")
	asJSON, out := new(bool), new(string)
	if sub == "inspect" {
		fs.BoolVar(asJSON, "json", false, "print JSON")
	} else {
		fs.StringVar(out, "out", "", "directory to create for the files (default: FILE without .age)")
	}
	files, err := parseInterspersed(fs, args[1:])
	if err != nil || len(files) != 1 {
		return fmt.Errorf("%w: %s", errUsage, bundleUsage)
	}
	f, err := os.Open(files[0])
	if err != nil {
		return fmt.Errorf("open bundle: %w", err)
	}
	defer f.Close()
	r, err := openBundle(f, *identityFile, getenv, stdin, stderr)
	if err != nil {
		return err
	}
	if sub == "inspect" {
		return inspectBundle(r, *asJSON, stdout)
	}
	dir := *out
	if dir == "" {
		dir = strings.TrimSuffix(files[0], ".age")
		if dir == files[0] {
			dir += ".d"
		}
	}
	return decryptBundle(r, dir, stdout)
}

// openBundle opens an age-encrypted bundle with the identity file or the
// passphrase, or a plain one as it is.
func openBundle(f *os.File, identityFile string, getenv func(string) string, stdin *os.File, stderr io.Writer) (*bundle.Reader, error) {
	br := bufio.NewReader(f)
	intro, _ := br.Peek(len("age-encryption.org/v1\n"))
	if string(intro) != "age-encryption.org/v1\n" {
		return bundleErr(bundle.NewReader(br, bundle.Limits{}))
	}
	var ids []age.Identity
	if identityFile != "" {
		data, err := os.Open(identityFile)
		if err != nil {
			return nil, fmt.Errorf("identity: %w", err)
		}
		defer data.Close()
		if ids, err = bundle.ParseIdentities(data); err != nil {
			return nil, err
		}
	} else {
		pass, err := passphrase(getenv, stdin, stderr)
		if err != nil {
			return nil, err
		}
		id, err := bundle.PassphraseIdentity(pass)
		if err != nil {
			return nil, err
		}
		ids = []age.Identity{id}
	}
	return bundleErr(bundle.NewEncryptedReader(br, bundle.Limits{}, ids...))
}

// passphrase reads CONFIDANT_PASSPHRASE, or asks on the terminal.
func passphrase(getenv func(string) string, stdin *os.File, stderr io.Writer) (string, error) {
	if p := getenv(passphraseEnv); p != "" {
		return p, nil
	}
	if stdin == nil || !term.IsTerminal(int(stdin.Fd())) {
		return "", fmt.Errorf("%w: the bundle is encrypted: set %s, run in a terminal to be asked, or give --identity FILE", errUsage, passphraseEnv)
	}
	fmt.Fprint(stderr, "Passphrase: ")
	p, err := term.ReadPassword(int(stdin.Fd()))
	fmt.Fprintln(stderr)
	if err != nil {
		return "", fmt.Errorf("read passphrase: %w", err)
	}
	return string(p), nil
}

// bundleErr words the reader's errors for the person at the terminal.
func bundleErr(r *bundle.Reader, err error) (*bundle.Reader, error) {
	if err == nil {
		return r, nil
	}
	return nil, describeBundleErr(err)
}

func describeBundleErr(err error) error {
	switch {
	case errors.Is(err, bundle.ErrWrongPassphrase):
		return errors.New("wrong passphrase or key: it does not open this bundle")
	case errors.Is(err, bundle.ErrNotBundle):
		return fmt.Errorf("not a Confidant bundle (%w)", err)
	case errors.Is(err, bundle.ErrTruncated):
		return fmt.Errorf("the bundle is incomplete: it ends early (was the download cut?) (%w)", err)
	}
	return fmt.Errorf("the bundle is damaged or unsafe (%w)", err)
}

// bundleSummary is what inspect prints.
type bundleSummary struct {
	Manifest  bundle.Manifest       `json:"manifest"`
	Records   map[bundle.Kind]int64 `json:"records"`
	Documents int                   `json:"document_files"`
	Entries   int                   `json:"entries"`
	Bytes     int64                 `json:"bytes"`
	Verified  bool                  `json:"checksums_verified"`
}

// inspectBundle reads every record, which checks every checksum, then
// prints the manifest and the counts.
func inspectBundle(r *bundle.Reader, asJSON bool, stdout io.Writer) error {
	s := bundleSummary{Manifest: r.Manifest(), Records: map[bundle.Kind]int64{}}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return describeBundleErr(err)
		}
		switch rec.Kind {
		case bundle.KindFile:
			s.Documents++
		case bundle.KindSettings:
		default:
			s.Records[rec.Kind]++
		}
	}
	for _, f := range r.Checksums() {
		s.Entries++
		s.Bytes += f.Size
	}
	s.Entries++ // checksums.json itself
	s.Verified = true
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	m := s.Manifest
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "format\t%s version %d\n", m.Format, m.Version)
	fmt.Fprintf(tw, "created\t%s\n", m.CreatedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
	fmt.Fprintf(tw, "source\t%s (version %s, commit %s)\n", m.Source.Origin, m.Source.Version, m.Source.Commit)
	fmt.Fprintf(tw, "account\t%s (%s), id %s\n", m.User.Username, m.User.DisplayName, m.User.ID)
	creds := "not included"
	if m.ConnectorCredentials {
		creds = "included"
	}
	fmt.Fprintf(tw, "connector credentials\t%s\n", creds)
	for _, k := range bundle.Kinds {
		fmt.Fprintf(tw, "%s\t%d\n", k, s.Records[k])
	}
	fmt.Fprintf(tw, "document files\t%d\n", s.Documents)
	fmt.Fprintf(tw, "entries\t%d, %d bytes\n", s.Entries, s.Bytes)
	fmt.Fprintf(tw, "checksums\tverified\n")
	return tw.Flush()
}

// decryptBundle writes the bundle's files into a new directory dir. They
// go to a temporary directory beside it first, renamed to dir only once
// every checksum matched, so a damaged bundle leaves nothing behind.
func decryptBundle(r *bundle.Reader, dir string, stdout io.Writer) error {
	if _, err := os.Lstat(dir); err == nil {
		return fmt.Errorf("%s already exists: choose a new directory with --out", dir)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".partial-")
	if err != nil {
		return fmt.Errorf("decrypt: %w", err)
	}
	n, size, err := writeEntries(r, tmp)
	if err != nil {
		_ = os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("decrypt: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %d files (%d bytes) to %s; checksums verified\n", n, size, dir)
	return nil
}

// writeEntries writes every entry under dir, through an os.Root so no
// name can reach outside it, and never over an existing file.
func writeEntries(r *bundle.Reader, dir string) (int, int64, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return 0, 0, fmt.Errorf("decrypt: %w", err)
	}
	defer root.Close()
	var n int
	var total int64
	madeDocs := false
	for {
		e, err := r.NextEntry()
		if errors.Is(err, io.EOF) {
			return n, total, nil
		}
		if err != nil {
			return 0, 0, describeBundleErr(err)
		}
		if strings.Contains(e.Name, "/") && !madeDocs {
			if err := root.Mkdir(filepath.Dir(e.Name), 0o700); err != nil {
				return 0, 0, fmt.Errorf("decrypt: %w", err)
			}
			madeDocs = true
		}
		f, err := root.OpenFile(e.Name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return 0, 0, fmt.Errorf("decrypt: %w", err)
		}
		body := &readErrs{r: e.Body}
		written, err := io.Copy(f, body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if body.err != nil {
			return 0, 0, describeBundleErr(body.err)
		}
		if err != nil {
			return 0, 0, fmt.Errorf("decrypt: %w", err)
		}
		n++
		total += written
	}
}

// readErrs remembers the error its reader gave, to tell a damaged bundle
// from a full disk.
type readErrs struct {
	r   io.Reader
	err error
}

func (e *readErrs) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}
