package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"confidant/connectors"
	"confidant/internal/connectorstest"
	"confidant/internal/testserver"
)

// A person with a connected calendar asks what is on tomorrow: the
// simulated backend calls list_events, and the answer lists tomorrow's
// event (not today's) under "Looked at your calendar". Asked to plan a
// meeting, the assistant proposes an event: a card with Confirm and
// Dismiss, at desktop and phone width; nothing is created until the
// Confirm click, after which the card says it was added.
func TestAssistantCalendarTools(t *testing.T) {
	reader := connectorstest.NewReader()
	e := setup(t, testserver.Options{ConnectorReader: reader})
	e.secret("Quarterly pruning review", "Orchard dentist")
	tb := e.chatter("tilda")
	u, err := e.srv.Store.UserByUsername(t.Context(), "tilda")
	if err != nil {
		t.Fatal(err)
	}
	cal := reader.Connect(u.ID, connectors.KindCalDAV, "tilda on cal.example.org")
	// The browser lives on Kiritimati (UTC+14), often a day ahead of the
	// server: its days are the ones that count.
	zone, err := time.LoadLocation("Pacific/Kiritimati")
	if err != nil {
		t.Fatal(err)
	}
	tb.do("live on Kiritimati", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone.String()})
		return err
	}))
	tb.reload()
	now := time.Now().In(zone)
	day := func(offset, hour int) time.Time {
		return time.Date(now.Year(), now.Month(), now.Day()+offset, hour, 0, 0, 0, zone)
	}
	reader.AddEvent(cal.ID, connectors.Event{Summary: "Orchard dentist", Start: day(0, 23), End: day(0, 23).Add(30 * time.Minute)})
	reader.AddEvent(cal.ID, connectors.Event{Summary: "Quarterly pruning review", Location: "Barn", Start: day(1, 10), End: day(1, 11)})

	_, answer := tb.send(`What is on my calendar tomorrow? [[sim:tool=list_events {"from":"tomorrow","to":"tomorrow"}]]`, "complete")
	if !strings.Contains(answer.Text, "Quarterly pruning review") || strings.Contains(answer.Text, "Orchard dentist") {
		t.Fatalf("answer %q: want tomorrow's event only", answer.Text)
	}
	tb.waitVisible(tid("turn-activity"))
	if got := tb.text(tid("turn-activity")); got != "Looked at your calendar" {
		t.Errorf("activity line %q", got)
	}

	start := day(1, 14).Format("2006-01-02T15:04")
	end := day(1, 15).Format("2006-01-02T15:04")
	tb.send(fmt.Sprintf(`Plan the budget talk after the review [[sim:tool=propose_event {"summary":"Budget talk","start":%q,"end":%q,"location":"Barn"}]]`, start, end), "complete")
	tb.waitVisible(tid("proposal-confirm"))
	if got := tb.text(tid("proposal")); !strings.Contains(got, "Add an event") || !strings.Contains(got, "Budget talk") || !strings.Contains(got, "Barn") {
		t.Errorf("card says %q", got)
	}
	if n := reader.SourceOf(cal.ID).Count(); n != 0 || reader.Opens() != 0 {
		t.Fatalf("proposing created %d events, opened the account %d times", n, reader.Opens())
	}
	tb.colorScheme("light")
	tb.viewShot("tools-proposal-light")
	tb.do("emulate a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
	tb.reload()
	tb.waitVisible(tid("proposal-confirm"))
	tb.do("scroll to the card", chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="proposal"]').scrollIntoView({block: 'center'})`))
	tb.expectFits("a conversation with a proposal card at phone width")
	tb.viewShot("tools-proposal-phone-light")

	tb.click(tid("proposal-confirm"))
	tb.waitFor("the card's result", `(() => { const r = document.querySelector('[data-testid="proposal-result"]'); return r && r.textContent.includes('Added to your calendar'); })()`)
	evs := reader.SourceOf(cal.ID).Events()
	if len(evs) != 1 || evs[0].Summary != "Budget talk" || !evs[0].Start.Equal(day(1, 14)) {
		t.Fatalf("created %+v", evs)
	}
	if tb.count(tid("proposal-confirm")) != 0 {
		t.Error("the confirmed card still offers Confirm")
	}
	tb.viewShot("tools-proposal-confirmed-phone-light")
}
