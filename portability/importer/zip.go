package importer

import (
	"archive/zip"
	"errors"
	"io"
	"path"
	"strings"
)

// conversationsFile is the entry an export zip keeps its chats in.
const conversationsFile = "conversations.json"

// minRatioCheck is the size under which an entry's compression ratio is
// not judged: tiny files compress oddly without being bombs.
const minRatioCheck = 1 << 20

// openZip checks an export zip as a whole (entry count, names, sizes and
// compression ratios), then returns an opener of its conversations.json,
// at the root or inside one top-level folder. No other entry is read.
func openZip(r io.ReaderAt, size int64, lim Limits) (func() (io.ReadCloser, error), error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		if re, ok := asReadError(err); ok {
			return nil, re
		}
		if errors.Is(err, zip.ErrInsecurePath) {
			return nil, fail(ErrUnsafeArchive, "an entry's name points outside the archive")
		}
		return nil, fail(ErrMalformed, "the zip archive cannot be read (is it complete?)")
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, fail(ErrUnsafeArchive, "it has more than %d entries", lim.MaxEntries)
	}
	var total uint64
	var found *zip.File
	for _, f := range zr.File {
		if unsafeName(f.Name) {
			return nil, fail(ErrUnsafeArchive, "an entry's name points outside the archive")
		}
		total += f.UncompressedSize64
		if total > uint64(lim.MaxTotalBytes) {
			return nil, fail(ErrUnsafeArchive, "its contents would unpack to more than %d MiB", lim.MaxTotalBytes>>20)
		}
		if f.UncompressedSize64 > minRatioCheck && f.UncompressedSize64 > uint64(lim.MaxRatio)*max(f.CompressedSize64, 1) {
			return nil, fail(ErrUnsafeArchive, "an entry is compressed more than %d to 1, as zip bombs are", lim.MaxRatio)
		}
		if isConversations(f.Name) && (found == nil || strings.Count(f.Name, "/") < strings.Count(found.Name, "/")) {
			found = f
		}
	}
	if found == nil {
		return nil, fail(ErrUnknownFormat, "the zip archive has no conversations.json")
	}
	if found.UncompressedSize64 > uint64(lim.MaxEntryBytes) {
		return nil, fail(ErrTooLarge, "conversations.json would unpack to more than %d MiB", lim.MaxEntryBytes>>20)
	}
	entry := found
	return func() (io.ReadCloser, error) {
		rc, err := entry.Open()
		if err != nil {
			if re, ok := asReadError(err); ok {
				return nil, re
			}
			return nil, fail(ErrMalformed, "conversations.json cannot be unpacked")
		}
		// archive/zip refuses data past the declared size; the limit
		// holds even so.
		return &limitedEntry{rc: rc, left: int64(entry.UncompressedSize64)}, nil
	}, nil
}

// isConversations reports whether name is conversations.json at the
// archive's root or in one top-level folder.
func isConversations(name string) bool {
	dir, file := path.Split(name)
	return file == conversationsFile && strings.Count(dir, "/") <= 1
}

// unsafeName reports whether an entry name could escape a folder it was
// unpacked into: absolute, with .. segments, backslashes or a drive.
func unsafeName(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, `\`) || strings.Contains(name, "\x00") {
		return true
	}
	if len(name) >= 2 && name[1] == ':' {
		return true
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == ".." {
			return true
		}
	}
	return false
}

// limitedEntry reads at most left bytes and calls more an error.
type limitedEntry struct {
	rc   io.ReadCloser
	left int64
}

func (l *limitedEntry) Read(p []byte) (int, error) {
	if l.left <= 0 {
		var one [1]byte
		if n, _ := l.rc.Read(one[:]); n > 0 {
			return 0, fail(ErrUnsafeArchive, "an entry holds more than its declared size")
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.rc.Read(p)
	l.left -= int64(n)
	if re, ok := asReadError(err); ok {
		return n, re
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return n, fail(ErrMalformed, "conversations.json is damaged inside the zip archive")
	}
	return n, err
}

func (l *limitedEntry) Close() error { return l.rc.Close() }
