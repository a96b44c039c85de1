package inference_test

import (
	"strings"
	"testing"

	"confidant/inference"
)

// A backend may quote the request in its error message; the error text,
// which reaches logs and job records, leaves it out.
func TestStatusErrorLeavesOutTheBackendsWords(t *testing.T) {
	err := &inference.StatusError{Status: 400, Type: "invalid_request_error", Code: "bad_input", Message: "cannot parse 'my secret diary'"}
	if got := err.Error(); strings.Contains(got, "secret") || !strings.Contains(got, "400") || !strings.Contains(got, "bad_input") {
		t.Errorf("Error() = %q", got)
	}
}
