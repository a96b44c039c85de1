package simbackend

import "net/http"

type modelList struct {
	Object string      `json:"object"`
	Data   []modelCard `json:"data"`
}

// modelCard is one model as vLLM lists it.
type modelCard struct {
	ID          string   `json:"id"`
	Object      string   `json:"object"`
	Created     int64    `json:"created"`
	OwnedBy     string   `json:"owned_by"`
	Root        string   `json:"root"`
	Parent      *string  `json:"parent"`
	MaxModelLen int      `json:"max_model_len,omitempty"`
	Permission  []string `json:"permission"`
}

// handleModels serves GET /v1/models.
func (s *Server) handleModels(w http.ResponseWriter, _ *http.Request, _ string) {
	list := modelList{Object: "list", Data: make([]modelCard, 0, len(s.opts.Models))}
	created := s.opts.Now().Unix()
	for _, m := range s.opts.Models {
		list.Data = append(list.Data, modelCard{
			ID: m.ID, Object: "model", Created: created, OwnedBy: ownedBy, Root: m.ID,
			MaxModelLen: m.MaxModelLen, Permission: []string{},
		})
	}
	writeJSON(w, http.StatusOK, list)
}
