package keys_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"confidant/enclave"
	"confidant/enclave/keys"
	"confidant/enclave/seal"
)

// noTombstones is a TombstoneChecker for an empty tombstone table.
type noTombstones struct{}

func (noTombstones) IsTombstoned(context.Context, []byte) (bool, error) { return false, nil }

// The store's flow: a user's data key is created once, kept only wrapped, and
// unwrapped (after the tombstone check) to seal and open that user's values.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "confidant-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	provider, err := enclave.NewSimulated(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	ring, err := keys.Load(ctx, provider)
	if err != nil {
		log.Fatal(err)
	}
	user, _ := keys.ParseUserID("6f1c2a8e-4b7d-4c2e-9a1f-3d5e7b9c0a12")

	dek, _ := keys.NewDEK()
	wrapped, err := ring.WrapDEK(user, dek) // store wrapped; forget dek
	if err != nil {
		log.Fatal(err)
	}

	dek, err = ring.UnwrapDEK(ctx, noTombstones{}, user, wrapped)
	if err != nil {
		log.Fatal(err)
	}
	where := seal.AAD{UserID: user.String(), Table: "messages", Column: "content", RowID: "42"}
	sealed, _ := seal.SealString(dek, where, "hello")
	text, _ := seal.OpenString(dek, where, sealed)
	fmt.Println(text)
	// Output: hello
}
