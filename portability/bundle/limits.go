package bundle

// Limits bound what a Reader accepts, so a hostile bundle cannot exhaust
// memory or disk. The zero value of a field means its default.
type Limits struct {
	// MaxEntries bounds the number of tar entries (default 1,000,000).
	MaxEntries int
	// MaxPartBytes bounds one JSON Lines part, settings.json and
	// checksums.json (default 64 MiB).
	MaxPartBytes int64
	// MaxFileBytes bounds one document original (default 256 MiB).
	MaxFileBytes int64
	// MaxTotalBytes bounds the sum of all entries (default 64 GiB).
	MaxTotalBytes int64
	// MaxRecordBytes bounds one JSON line (default MaxRecordBytes).
	MaxRecordBytes int
}

func (l Limits) withDefaults() Limits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = 1_000_000
	}
	if l.MaxPartBytes <= 0 {
		l.MaxPartBytes = 64 << 20
	}
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = 256 << 20
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = 64 << 30
	}
	if l.MaxRecordBytes <= 0 {
		l.MaxRecordBytes = MaxRecordBytes
	}
	return l
}

// maxTrailing bounds the padding an archive may carry after its end
// (tar tools pad to whole records).
const maxTrailing = 1 << 20

// maxManifestBytes bounds manifest.json.
const maxManifestBytes = 1 << 20
