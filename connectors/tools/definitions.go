// Package tools gives the assistant its mail and calendar tools: their
// function-calling definitions, and an executor that runs a model's calls
// over a connectors.Reader with the capability policy enforced in code.
// Reads return synced content marked as untrusted data; write actions only
// store proposals, which take effect when their owner confirms them. There
// is no send, forward or delete tool.
package tools

import (
	"encoding/json"

	openai "github.com/sashabaranov/go-openai"

	"confidant/connectors"
)

// Tool names, as the model calls them.
const (
	SearchMail   = "search_mail"
	ReadMail     = "read_mail"
	ListEvents   = "list_events"
	FindFreeTime = "find_free_time"
	ProposeReply = "propose_reply"
	ProposeEvent = "propose_event"
)

// definition is one tool: what it needs of the connectors, and its schema.
type definition struct {
	name        string
	capability  connectors.Capability
	calendar    bool // needs a calendar account; else a mail account
	description string
	parameters  string // JSON schema of the arguments
}

// whenHelp explains the time arguments the calendar tools take.
const whenHelp = `A day ('today', 'tomorrow', 'yesterday' or YYYY-MM-DD, in the user's time zone) or a time (RFC 3339, or YYYY-MM-DDTHH:MM in the user's time zone).`

var definitions = []definition{
	{name: SearchMail, capability: connectors.CapRead, description: "Search the user's synced mail. Returns matching messages, newest first, with a short snippet each.",
		parameters: `{"type":"object","properties":{
			"query":{"type":"string","description":"Words to look for in sender, subject and text."},
			"limit":{"type":"integer","minimum":1,"maximum":20,"description":"How many messages to return (default 10)."}},
			"required":["query"],"additionalProperties":false}`},
	{name: ReadMail, capability: connectors.CapRead, description: "Read one synced message in full, by the id search_mail returned.",
		parameters: `{"type":"object","properties":{"id":{"type":"string","description":"The message id from search_mail."}},
			"required":["id"],"additionalProperties":false}`},
	{name: ListEvents, capability: connectors.CapRead, calendar: true, description: "List the user's calendar events between two times. A day as \"to\" includes that whole day.",
		parameters: `{"type":"object","properties":{
			"from":{"type":"string","description":"Start. ` + whenHelp + ` Default today."},
			"to":{"type":"string","description":"End. ` + whenHelp + ` Default the end of the day of from."},
			"time_zone":{"type":"string","description":"IANA time zone to read days and times in, when the user names one."}},
			"additionalProperties":false}`},
	{name: FindFreeTime, capability: connectors.CapRead, calendar: true, description: "Find free slots in the user's calendar within working hours.",
		parameters: `{"type":"object","properties":{
			"from":{"type":"string","description":"Start. ` + whenHelp + ` Default today."},
			"to":{"type":"string","description":"End. ` + whenHelp + ` Default seven days after from."},
			"duration_minutes":{"type":"integer","minimum":5,"maximum":720,"description":"Length of the slot needed (default 30)."},
			"work_start":{"type":"string","description":"Start of working hours, HH:MM (default 09:00)."},
			"work_end":{"type":"string","description":"End of working hours, HH:MM (default 17:00)."},
			"time_zone":{"type":"string","description":"IANA time zone, when the user names one."}},
			"additionalProperties":false}`},
	{name: ProposeReply, capability: connectors.CapPropose, description: "Propose a draft reply to a synced message. The user sees it as a card and decides; if they confirm, it is saved to their drafts (never sent). The reply goes to the message's sender.",
		parameters: `{"type":"object","properties":{
			"mail_id":{"type":"string","description":"The id of the message replied to, from search_mail."},
			"text":{"type":"string","description":"The reply's text."}},
			"required":["mail_id","text"],"additionalProperties":false}`},
	{name: ProposeEvent, capability: connectors.CapPropose, calendar: true, description: "Propose a calendar event. The user sees it as a card and decides; only if they confirm is it added to their calendar. Nobody is invited.",
		parameters: `{"type":"object","properties":{
			"summary":{"type":"string","description":"The event's title."},
			"start":{"type":"string","description":"Start, RFC 3339 or YYYY-MM-DDTHH:MM in the user's time zone."},
			"end":{"type":"string","description":"End, like start."},
			"location":{"type":"string"},
			"description":{"type":"string"},
			"connector_id":{"type":"string","description":"Which calendar account, when the user has several."},
			"time_zone":{"type":"string","description":"IANA time zone, when the user names one."}},
			"required":["summary","start","end"],"additionalProperties":false}`},
}

// lookup returns the definition of a tool by name.
func lookup(name string) (definition, bool) {
	for _, d := range definitions {
		if d.name == name {
			return d, true
		}
	}
	return definition{}, false
}

func (d definition) tool() openai.Tool {
	return openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name: d.name, Description: d.description, Parameters: json.RawMessage(compact(d.parameters))}}
}

// compact removes the schema's layout whitespace.
func compact(schema string) string {
	var v any
	if err := json.Unmarshal([]byte(schema), &v); err != nil {
		panic("tools: invalid schema: " + err.Error()) // a programming error, caught by the tests
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// Activity is how the answer's UI words a tool it used.
func Activity(name string) string {
	switch name {
	case SearchMail, ReadMail:
		return "Searched your mail"
	case ListEvents, FindFreeTime:
		return "Looked at your calendar"
	case ProposeReply:
		return "Proposed a reply"
	case ProposeEvent:
		return "Proposed an event"
	}
	return "Tried a tool that does not exist"
}

// mailKind and calendarKind say what a kind of connector holds.
func mailKind(k connectors.Kind) bool {
	return k == connectors.KindIMAP || k == connectors.KindGmail || k == connectors.KindMicrosoft
}

func calendarKind(k connectors.Kind) bool {
	return k == connectors.KindCalDAV || k == connectors.KindGmail || k == connectors.KindMicrosoft
}

// holds reports whether a connector of kind k holds what d works on.
func (d definition) holds(k connectors.Kind) bool {
	if d.calendar {
		return calendarKind(k)
	}
	return mailKind(k)
}
