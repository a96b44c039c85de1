package connectors

import "strings"

// KindPolicy is one row of the capability table, for /attestation and the
// connections page.
type KindPolicy struct {
	Kind         Kind
	Capabilities []Capability
	Summary      string // in plain words, e.g. "Can read … Cannot send or delete."
}

// Policy lists every kind of connector with what it lets the assistant do,
// from the one table in source.go.
func Policy() []KindPolicy {
	out := make([]KindPolicy, 0, len(Kinds()))
	for _, k := range Kinds() {
		out = append(out, KindPolicy{Kind: k, Capabilities: CapabilitiesOf(k), Summary: Describe(k)})
	}
	return out
}

// Describe says in plain words what a kind of connector lets the
// assistant do and not do.
func Describe(k Kind) string {
	var can, cannot []string
	if Allows(k, CapRead) {
		can = append(can, "read and search what it synced")
	}
	if Allows(k, CapPropose) {
		can = append(can, "propose drafts and events that take effect only when you confirm them")
	}
	if !Allows(k, CapSend) {
		cannot = append(cannot, "send")
	}
	if !Allows(k, CapDelete) {
		cannot = append(cannot, "delete")
	}
	var b strings.Builder
	if len(can) > 0 {
		b.WriteString("The assistant can " + strings.Join(can, " and ") + ".")
	}
	if len(cannot) > 0 {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString("It cannot " + strings.Join(cannot, " or ") + " anything.")
	}
	return b.String()
}
