package signing

import (
	"encoding/hex"
	"fmt"
	"sync"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// ECDSAVerifier checks personal_sign signatures exactly as VerifyECDSA
// does, at less than half the cost for the few addresses that sign most
// answers (a backend's attested key). The first valid signature of an
// address yields its public key Q; a table of Q's multiples is then
// built, as the library keeps one for the generator, and later signatures
// are checked by computing R = s⁻¹(e·G + r·Q) from the two tables and
// comparing it with the (r, v) of the signature: the same condition under
// which recovery gives back Q, without the generic scalar multiplication
// recovery needs. It is safe for concurrent use.
type ECDSAVerifier struct {
	max int

	mu   sync.Mutex
	keys map[[20]byte]*fixedPoint
}

// NewECDSAVerifier returns a verifier that keeps tables for up to max
// addresses (each about 1 MB); past that it starts over.
func NewECDSAVerifier(max int) *ECDSAVerifier {
	return &ECDSAVerifier{max: max, keys: map[[20]byte]*fixedPoint{}}
}

// Verify is VerifyECDSA.
func (v *ECDSAVerifier) Verify(text, sigHex, address string) error {
	want, err := decodeHex("signing address", address, 20)
	if err != nil {
		return err
	}
	var addr [20]byte
	copy(addr[:], want)
	v.mu.Lock()
	q := v.keys[addr]
	v.mu.Unlock()
	if q != nil {
		if ok, err := q.verify(text, sigHex); err != nil {
			return err
		} else if ok {
			return nil
		}
		// Not by this key: the slow path says by whom, in the same words
		// as ever.
	}
	pub, err := recoverPub(text, sigHex)
	if err != nil {
		return err
	}
	if got := addressOf(pub); got != addr {
		return fmt.Errorf("%w: recovered 0x%s, want 0x%s", ErrAddressMismatch, hex.EncodeToString(got[:]), hex.EncodeToString(want))
	}
	if q == nil {
		t := newFixedPoint(pub)
		v.mu.Lock()
		if len(v.keys) >= v.max {
			clear(v.keys)
		}
		v.keys[addr] = t
		v.mu.Unlock()
	}
	return nil
}

// fixedPoint is a public key with its multiples by every byte in every
// position of a scalar: table[i][b] = b·256^(31-i)·Q, in affine form.
type fixedPoint struct {
	table [32][256]secp256k1.JacobianPoint
}

func newFixedPoint(pub *secp256k1.PublicKey) *fixedPoint {
	f := &fixedPoint{}
	var base secp256k1.JacobianPoint
	pub.AsJacobian(&base)
	for i := 31; i >= 0; i-- {
		row := &f.table[i]
		// row[0] stays the point at infinity (all zero).
		row[1].Set(&base)
		for b := 2; b < 256; b++ {
			secp256k1.AddNonConst(&row[b-1], &base, &row[b])
			row[b].ToAffine()
		}
		for range 8 { // base = 256·base, for the next more significant byte
			secp256k1.DoubleNonConst(&base, &base)
		}
		base.ToAffine()
	}
	return f
}

// mul sets result to k·Q.
func (f *fixedPoint) mul(k *secp256k1.ModNScalar, result *secp256k1.JacobianPoint) {
	result.X.Zero()
	result.Y.Zero()
	result.Z.Zero()
	kb := k.Bytes()
	for i, b := range kb {
		if b != 0 {
			secp256k1.AddNonConst(result, &f.table[i][b], result)
		}
	}
}

// verify reports whether sigHex is a signature over text by Q. An error
// means the signature is malformed, and would be whoever's key it is
// checked against.
func (f *fixedPoint) verify(text, sigHex string) (bool, error) {
	sig, rec, err := parseCompact(sigHex)
	if err != nil {
		return false, err
	}
	var r, s secp256k1.ModNScalar
	if overflow := r.SetByteSlice(sig[:32]); overflow || r.IsZero() {
		return false, nil // recovery refuses it; let it say how
	}
	if overflow := s.SetByteSlice(sig[32:64]); overflow || s.IsZero() {
		return false, nil
	}
	h := PersonalHash([]byte(text))
	var e secp256k1.ModNScalar
	e.SetByteSlice(h[:])
	w := new(secp256k1.ModNScalar).InverseValNonConst(&s)
	u1 := new(secp256k1.ModNScalar).Mul2(&e, w)
	u2 := new(secp256k1.ModNScalar).Mul2(&r, w)
	var x, u1G, u2Q secp256k1.JacobianPoint
	secp256k1.ScalarBaseMultNonConst(u1, &u1G)
	f.mul(u2, &u2Q)
	secp256k1.AddNonConst(&u1G, &u2Q, &x)
	if (x.X.IsZero() && x.Y.IsZero()) || x.Z.IsZero() {
		return false, nil
	}
	x.ToAffine()
	// Recovery with id rec (no overflow bit) takes R = (r, y) with y's
	// parity rec; it yields Q exactly when that R equals x.
	return *x.X.Bytes() == [32]byte(sig[:32]) && x.Y.IsOdd() == (rec == 1), nil
}
