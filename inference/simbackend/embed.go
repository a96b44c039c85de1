package simbackend

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"math"
	"net/http"
	"strings"
	"unicode"
)

// Embed returns the sim-embed vector of text: 384 dimensions, L2-normalized,
// deterministic and lexical. Lower-cased word unigrams (weight 1) and the
// character trigrams of each word padded with spaces (weight 1/4) are
// hashed into the dimensions with a hashed sign, so texts that share words
// have a high cosine similarity. A text without words gets a fixed unit
// vector.
func Embed(text string) []float32 {
	v := make([]float64, EmbedDims)
	add := func(feature string, weight float64) {
		h := fnv.New64a()
		h.Write([]byte(feature))
		sum := h.Sum64()
		if sum>>63 == 1 {
			weight = -weight
		}
		v[sum%EmbedDims] += weight
	}
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for _, w := range words {
		add("w:"+w, 1)
		padded := []rune(" " + w + " ")
		for i := 0; i+3 <= len(padded); i++ {
			add("t:"+string(padded[i:i+3]), 0.25)
		}
	}
	var norm float64
	for _, x := range v {
		norm += x * x
	}
	out := make([]float32, EmbedDims)
	if norm == 0 {
		out[0] = 1
		return out
	}
	norm = math.Sqrt(norm)
	for i, x := range v {
		out[i] = float32(x / norm)
	}
	return out
}

type embedRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
}

type embedResponse struct {
	Object string      `json:"object"`
	Data   []embedding `json:"data"`
	Model  string      `json:"model"`
	Usage  embedUsage  `json:"usage"`
}

type embedding struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"` // []float32, or base64 of little-endian float32s
}

type embedUsage struct {
	PromptTokens int `json:"prompt_tokens"`
	TotalTokens  int `json:"total_tokens"`
}

// handleEmbeddings serves POST /v1/embeddings.
func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request, _ string) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req embedRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_json", "request body is not valid JSON")
		return
	}
	m, ok := s.model(w, req.Model, KindEmbed)
	if !ok {
		return
	}
	inputs, ok := embedInputs(req.Input)
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_input",
			"input must be a string or a non-empty array of strings")
		return
	}
	if req.Dimensions != nil && *req.Dimensions != EmbedDims {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_dimensions", "sim-embed has 384 dimensions")
		return
	}
	if req.EncodingFormat != "" && req.EncodingFormat != "float" && req.EncodingFormat != "base64" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_encoding_format",
			"encoding_format must be float or base64")
		return
	}
	resp := embedResponse{Object: "list", Model: m.ID, Data: make([]embedding, len(inputs))}
	for i, text := range inputs {
		n := (len(text) + 3) / 4
		if m.MaxModelLen > 0 && n > m.MaxModelLen {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "context_length_exceeded",
				"an input is longer than the model's maximum context length")
			return
		}
		resp.Usage.PromptTokens += n
		var vec any = Embed(text)
		if req.EncodingFormat == "base64" {
			vec = encodeBase64(vec.([]float32))
		}
		resp.Data[i] = embedding{Object: "embedding", Index: i, Embedding: vec}
	}
	resp.Usage.TotalTokens = resp.Usage.PromptTokens
	writeJSON(w, http.StatusOK, resp)
}

// embedInputs decodes input as a string or an array of strings.
func embedInputs(raw json.RawMessage) ([]string, bool) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, true
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil || len(many) == 0 {
		return nil, false
	}
	return many, true
}

// encodeBase64 encodes v as OpenAI does for encoding_format=base64.
func encodeBase64(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return base64.StdEncoding.EncodeToString(b)
}
