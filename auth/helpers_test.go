package auth_test

import (
	"encoding/base64"
	"encoding/json"
	"testing"
)

// tamper flips a bit in one base64url field of a response's "response" object.
func tamper(t *testing.T, resp []byte, field string) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(resp, &m); err != nil {
		t.Fatal(err)
	}
	inner := m["response"].(map[string]any)
	raw, err := base64.RawURLEncoding.DecodeString(inner[field].(string))
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0x01
	inner[field] = base64.RawURLEncoding.EncodeToString(raw)
	out, _ := json.Marshal(m)
	return out
}

// setField replaces one field of the response's "response" object with the
// base64url of v's bytes (a UUID or []byte).
func setField(t *testing.T, resp []byte, field string, v interface{ MarshalBinary() ([]byte, error) }) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(resp, &m); err != nil {
		t.Fatal(err)
	}
	b, _ := v.MarshalBinary()
	m["response"].(map[string]any)[field] = base64.RawURLEncoding.EncodeToString(b)
	out, _ := json.Marshal(m)
	return out
}
