package keys

import "fmt"

// RootPath is the Provider key path of the root secret. The version suffix
// changes only with a migration that re-wraps every data key.
const RootPath = "confidant/root/v1"

// HKDF salt and info labels. Changing any of them changes every derived key.
const (
	extractSalt       = "confidant/keyring/v1"
	labelKEK          = "confidant/kek/v%d"
	labelBlindIndex   = "confidant/blind-index/v1"
	labelVector       = "confidant/vector-transform/v1"
	labelSigning      = "confidant/attestation-signing/v1"
	labelTransfer     = "confidant/export-transfer/v1"
	labelLookup       = "confidant/lookup/v1"
	labelApp          = "confidant/app-seal/v1"
	labelTombstone    = "confidant/tombstone/v1"
	labelWrapAAD      = "confidant/dek-wrap/v1"
	labelTombstoneMsg = "confidant/tombstone-id/v1"
)

// kekLabel returns the HKDF info for KEK version v.
func kekLabel(v uint32) string {
	return fmt.Sprintf(labelKEK, v)
}

// userLabel returns the HKDF info for a per-user key: the purpose label, a
// zero byte (labels never contain one) and the 16 id bytes.
func userLabel(label string, id UserID) string {
	return label + "\x00" + string(id[:])
}
