package e2e

import (
	"slices"
	"testing"

	"confidant/internal/testserver"
)

// A person adds a memory on the memory page, finds it, edits it, pauses
// memory and deletes the memory after confirming.
func TestManageMemory(t *testing.T) {
	e := setup(t, testserver.Options{})
	tb := e.newTab()
	tb.signUp(signup{Username: "mia", DisplayName: "Mia"})

	tb.visit("/settings/memory")
	tb.waitVisible(tid("memory-empty"))
	tb.screenshot("settings-memory-empty")

	tb.fill(tid("memory-new"), "Prefers answers in metric units")
	tb.click(tid("memory-add"))
	tb.expectNotice("Remembered.")
	tb.fill(tid("memory-new"), "Has a cat called Miso")
	tb.click(tid("memory-add"))
	tb.waitFor("two memories", `document.readyState === 'complete' && document.querySelectorAll('[data-testid="memory-text"]').length === 2`)
	if got := tb.texts(tid("memory-text")); !slices.Equal(got, []string{"Has a cat called Miso", "Prefers answers in metric units"}) {
		t.Fatalf("memories = %q", got)
	}
	tb.screenshot("settings-memory")

	tb.fill(tid("memory-search"), "metric")
	tb.click(`form[role="search"] button[type="submit"]`)
	tb.waitFor("search results", `document.querySelectorAll('[data-testid="memory-text"]').length === 1`)
	if got := tb.texts(tid("memory-text")); !slices.Equal(got, []string{"Prefers answers in metric units"}) {
		t.Fatalf("search found %q", got)
	}

	tb.click(tid("memory-edit"))
	tb.fill(`dialog[open] `+tid("memory-edit-input"), "Prefers answers in metric units and 24-hour time")
	tb.screenshot("settings-memory-edit-dialog")
	tb.click(`dialog[open] ` + tid("memory-edit-save"))
	tb.expectNotice("Saved.")
	if got := tb.texts(tid("memory-text")); !slices.Contains(got, "Prefers answers in metric units and 24-hour time") {
		t.Fatalf("after editing: %q", got)
	}

	tb.click(tid("memory-pause"))
	tb.waitVisible(tid("memory-paused"))
	tb.screenshot("settings-memory-paused")
	tb.click(tid("memory-resume"))
	tb.expectNotice("Memory is on again.")

	tb.click(tid("memory-delete"))
	tb.waitVisible(`dialog[open] ` + tid("memory-delete-confirm"))
	tb.screenshot("settings-memory-delete-dialog")
	tb.click(`dialog[open] ` + tid("memory-delete-confirm"))
	tb.expectNotice("Forgotten.")
	if got := tb.texts(tid("memory-text")); len(got) != 1 {
		t.Fatalf("after deleting: %q", got)
	}
}
