package memory

import (
	"regexp"
	"strings"
)

// explicitRequest matches a person asking to be remembered: "remember
// that …", "please remember: …", "don't forget that …", "note that I …"
// (case-insensitive), up to the end of the sentence.
var explicitRequest = regexp.MustCompile(`(?i)(?:^|[.!?\n]\s*)(?:please\s+|can you\s+|could you\s+)?(?:remember|don't forget|do not forget|keep in mind)(?:\s+that)?\s*[:,]?\s+([^.!?\n]+)`)

// ExplicitRequests returns the facts a message asks to be remembered, as
// the person wrote them (first person turned into a statement about them
// is left to the model; here the wording is kept).
func ExplicitRequests(message string) []string {
	var out []string
	for _, m := range explicitRequest.FindAllStringSubmatch(message, -1) {
		fact := strings.TrimSpace(m[1])
		fact = strings.TrimSuffix(fact, ",")
		if fact == "" || isQuestion(fact) {
			continue
		}
		out = append(out, upperFirst(fact))
	}
	return out
}

// isQuestion reports whether a matched clause asks rather than tells:
// "can you remember what I said", "remember me when …".
func isQuestion(fact string) bool {
	first, _, _ := strings.Cut(strings.ToLower(fact), " ")
	switch first {
	case "what", "when", "where", "who", "whom", "which", "why", "how", "if", "whether", "me", "to":
		return true
	}
	return false
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
