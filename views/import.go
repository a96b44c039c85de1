package views

import (
	"fmt"
	"strings"
)

// ImportData is the Settings → Import page.
type ImportData struct {
	ShowInvites bool
	MaxSizeMiB  int64
	Error       string
	Job         *ImportJob // the import just started or asked about
}

// ImportJob is one import's progress as the page shows it.
type ImportJob struct {
	ID          string
	State       string // queued | running | done | failed
	FormatLabel string
	Done, Total int
	// What was added and what was already here.
	Conversations, ConversationsSkipped, Empty int
	Messages, MessagesSkipped                  int
	Memories, Documents, Collections, Settings int
	CredentialsSkipped, ConnectorsSkipped      int
	Connectors                                 int
	Error                                      string
}

// Finished reports whether the import has ended either way.
func (j ImportJob) Finished() bool { return j.State == "done" || j.State == "failed" }

// Summary says in one sentence what a finished import did.
func (j ImportJob) Summary() string {
	parts := []string{fmt.Sprintf("Imported %s", count(j.Conversations, "conversation"))}
	if j.Messages > 0 {
		parts[0] += fmt.Sprintf(" (%s)", count(j.Messages, "message"))
	}
	for _, extra := range []struct {
		n    int
		noun string
	}{{j.Memories, "memory"}, {j.Documents, "document"}, {j.Collections, "collection"}, {j.Settings, "setting"}} {
		if extra.n > 0 {
			parts = append(parts, count(extra.n, extra.noun))
		}
	}
	s := strings.Join(parts, ", ")
	if j.ConversationsSkipped > 0 {
		s += fmt.Sprintf(", skipped %d already here", j.ConversationsSkipped)
		if j.Conversations > 0 && j.MessagesSkipped > 0 && j.Messages > 0 {
			s += " (new messages in them were added)"
		}
	}
	if j.Empty > 0 {
		s += fmt.Sprintf(", left out %s", count(j.Empty, "empty conversation"))
	}
	s += "."
	if j.CredentialsSkipped > 0 {
		s += fmt.Sprintf(" %s (API keys and passkeys) not recreated: make new ones here.", count(j.CredentialsSkipped, "credential"))
	}
	if j.Connectors > 0 {
		s += fmt.Sprintf(" Connected %s again; it syncs now.", count(j.Connectors, "mail or calendar account"))
	}
	if j.ConnectorsSkipped > 0 {
		s += fmt.Sprintf(" %s not recreated: connect your accounts again.", count(j.ConnectorsSkipped, "mail or calendar connection"))
	}
	return s
}

// Progress says how far a running import is.
func (j ImportJob) Progress() string {
	if j.State == "queued" || j.Total == 0 {
		return "Checking the " + j.FormatLabel + "…"
	}
	return fmt.Sprintf("Importing the %s: %d of %s…", j.FormatLabel, j.Done, count(j.Total, "conversation"))
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(noun, "y"))
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
