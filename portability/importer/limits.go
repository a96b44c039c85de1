package importer

// Limits bound what one import may hold, so a hostile file costs bounded
// memory and time. Zero values take defaults.
type Limits struct {
	MaxConversations int // per file, default 200,000
	MaxMessages      int // per conversation, default 100,000
	MaxTextBytes     int // per message, default 4 MiB
	// MaxConversationBytes bounds the JSON of one conversation, which is
	// decoded whole: default 64 MiB.
	MaxConversationBytes int64
	MaxEntries           int   // zip entries, default 100,000
	MaxEntryBytes        int64 // uncompressed size of the one entry read, default 2 GiB
	MaxTotalBytes        int64 // uncompressed size of every entry together, default 8 GiB
	MaxRatio             int64 // uncompressed/compressed for any entry over 1 MiB, default 200
}

// WithDefaults fills the zero fields of l.
func (l Limits) WithDefaults() Limits {
	if l.MaxConversations <= 0 {
		l.MaxConversations = 200_000
	}
	if l.MaxMessages <= 0 {
		l.MaxMessages = 100_000
	}
	if l.MaxTextBytes <= 0 {
		l.MaxTextBytes = 4 << 20
	}
	if l.MaxConversationBytes <= 0 {
		l.MaxConversationBytes = 64 << 20
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = 100_000
	}
	if l.MaxEntryBytes <= 0 {
		l.MaxEntryBytes = 2 << 30
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = 8 << 30
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = 200
	}
	return l
}
