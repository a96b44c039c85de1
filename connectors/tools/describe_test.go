package tools_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"confidant/connectors"
	"confidant/connectors/tools"
	"confidant/store"
)

// A card says what would be done, to whom and when, in the person's zone.
func TestDescribe(t *testing.T) {
	reply, _ := json.Marshal(connectors.Draft{To: []string{"Bob <bob@example.org>"}, Subject: "Re: Invoice 42", Text: "Paid."})
	event, _ := json.Marshal(connectors.Event{Summary: "Budget talk", Location: "Barn",
		Start: time.Date(2026, 11, 27, 13, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC)})
	long, _ := json.Marshal(connectors.Event{Summary: "Retreat",
		Start: time.Date(2026, 11, 27, 13, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 29, 11, 0, 0, 0, time.UTC)})
	tests := []struct {
		name string
		p    store.Proposal
		want []string
	}{
		{"reply", store.Proposal{Kind: store.ProposalReply, Payload: string(reply)}, []string{"Draft a reply", "To: Bob <bob@example.org>", "Subject: Re: Invoice 42", "body: Paid."}},
		{"event in Berlin", store.Proposal{Kind: store.ProposalEvent, Payload: string(event)}, []string{"Add an event", "What: Budget talk", "When: Fri 27 Nov 2026, 14:00 – 15:00 CET", "Where: Barn"}},
		{"event over days", store.Proposal{Kind: store.ProposalEvent, Payload: string(long)}, []string{"When: Fri 27 Nov 2026, 14:00 – Sun 29 Nov 2026, 12:00 CET"}},
		{"broken payload", store.Proposal{Kind: store.ProposalEvent, Payload: "{"}, []string{"cannot be shown"}},
		{"unknown kind", store.Proposal{Kind: "send", Payload: "{}"}, []string{"cannot be shown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tools.Describe(tt.p, berlin)
			got := d.Title + "\n" + "body: " + d.Body
			for _, f := range d.Fields {
				got += "\n" + f.Label + ": " + f.Value
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("card %q lacks %q", got, w)
				}
			}
		})
	}
}
