package fakegoogle

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

func (s *Server) profile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, map[string]any{"emailAddress": s.Account, "messagesTotal": len(s.messages),
		"threadsTotal": len(s.messages), "historyId": strconv.FormatUint(s.historyID, 10)})
}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	newestFirst := slices.Clone(s.messages)
	slices.Reverse(newestFirst)
	page, next, ok := paginate(newestFirst, r, 100, 500)
	if !ok {
		apiError(w, http.StatusBadRequest, "global", "invalidArgument", "Invalid pageToken", "INVALID_ARGUMENT")
		return
	}
	refs := []map[string]string{}
	for _, m := range page {
		refs = append(refs, map[string]string{"id": m.ID, "threadId": m.ThreadID})
	}
	body := map[string]any{"resultSizeEstimate": len(s.messages)}
	if len(refs) > 0 {
		body["messages"] = refs
	}
	if next != "" {
		body["nextPageToken"] = next
	}
	writeJSON(w, body)
}

func (s *Server) getMessage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.messages, func(m *message) bool { return m.ID == r.PathValue("id") })
	if i < 0 {
		apiError(w, http.StatusNotFound, "global", "notFound", "Requested entity was not found.", "NOT_FOUND")
		return
	}
	m := s.messages[i]
	body := map[string]any{"id": m.ID, "threadId": m.ThreadID, "labelIds": m.Labels, "snippet": "",
		"sizeEstimate": len(m.Raw), "historyId": strconv.FormatUint(m.HistoryID, 10),
		"internalDate": strconv.FormatInt(m.Internal.UnixMilli(), 10)}
	if r.URL.Query().Get("format") == "raw" {
		body["raw"] = base64.URLEncoding.EncodeToString(m.Raw)
	}
	writeJSON(w, body)
}

func (s *Server) listHistory(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	start, err := strconv.ParseUint(r.URL.Query().Get("startHistoryId"), 10, 64)
	if err != nil {
		apiError(w, http.StatusBadRequest, "global", "invalidArgument", "Invalid startHistoryId", "INVALID_ARGUMENT")
		return
	}
	if start < s.minHistory {
		apiError(w, http.StatusNotFound, "global", "notFound", "Requested entity was not found.", "NOT_FOUND")
		return
	}
	types := r.URL.Query()["historyTypes"]
	var records []historyRecord
	for _, h := range s.history {
		if h.ID > start && ((len(h.Added) > 0 && wants(types, "messageAdded")) || (len(h.Deleted) > 0 && wants(types, "messageDeleted"))) {
			records = append(records, h)
		}
	}
	page, next, ok := paginate(records, r, 100, 500)
	if !ok {
		apiError(w, http.StatusBadRequest, "global", "invalidArgument", "Invalid pageToken", "INVALID_ARGUMENT")
		return
	}
	var out []map[string]any
	for _, h := range page {
		rec := map[string]any{"id": strconv.FormatUint(h.ID, 10)}
		var msgs []map[string]any
		if len(h.Added) > 0 {
			var added []map[string]any
			for _, m := range h.Added {
				ref := map[string]any{"id": m.ID, "threadId": m.ThreadID, "labelIds": m.Labels}
				added = append(added, map[string]any{"message": ref})
				msgs = append(msgs, ref)
			}
			rec["messagesAdded"] = added
		}
		if len(h.Deleted) > 0 {
			var deleted []map[string]any
			for _, m := range h.Deleted {
				ref := map[string]any{"id": m.ID, "threadId": m.ThreadID}
				deleted = append(deleted, map[string]any{"message": ref})
				msgs = append(msgs, ref)
			}
			rec["messagesDeleted"] = deleted
		}
		rec["messages"] = msgs
		out = append(out, rec)
	}
	body := map[string]any{"historyId": strconv.FormatUint(s.historyID, 10)}
	if len(out) > 0 {
		body["history"] = out
	}
	if next != "" {
		body["nextPageToken"] = next
	}
	writeJSON(w, body)
}

func (s *Server) createDraft(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Message struct {
			Raw      string `json:"raw"`
			ThreadID string `json:"threadId"`
		} `json:"message"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Message.Raw == "" {
		apiError(w, http.StatusBadRequest, "global", "invalidArgument", "Invalid value for ByteString", "INVALID_ARGUMENT")
		return
	}
	raw, err := base64.URLEncoding.DecodeString(padBase64(in.Message.Raw))
	if err != nil {
		apiError(w, http.StatusBadRequest, "global", "invalidArgument", "Invalid value for ByteString", "INVALID_ARGUMENT")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := Draft{ID: fmt.Sprintf("r-%d", len(s.drafts)+1), Raw: raw}
	s.drafts = append(s.drafts, d)
	writeJSON(w, map[string]any{"id": d.ID, "message": map[string]any{"id": "m" + d.ID, "threadId": "m" + d.ID, "labelIds": []string{"DRAFT"}}})
}

func padBase64(s string) string {
	if m := len(s) % 4; m != 0 {
		s += strings.Repeat("=", 4-m)
	}
	return s
}
