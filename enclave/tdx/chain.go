package tdx

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	_ "embed"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// Names Intel gives the certificates of a PCK chain. go-tdx-guest insists
// on exactly these, and so does checkChain, so that both agree.
const (
	rootCN         = "Intel SGX Root CA"
	intermediateCN = "Intel SGX PCK Platform CA"
	pckCN          = "Intel SGX PCK Certificate"
)

//go:embed intel_sgx_root_ca.pem
var intelRootPEM []byte

// IntelRoots returns a pool holding Intel's SGX root CA, the default trust
// root of Verify (the same certificate go-tdx-guest embeds).
func IntelRoots() *x509.CertPool {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(intelRootPEM) {
		panic("tdx: embedded Intel root certificate does not parse")
	}
	return pool
}

// pckChain is the certificate chain carried in a quote.
type pckChain struct {
	pck, intermediate, root *x509.Certificate
}

// splitChain decodes the three PEM certificates of the quote's PCK chain.
// A single trailing NUL byte is tolerated, as Intel's QE writes one.
func splitChain(b []byte) (*pckChain, error) {
	var certs []*x509.Certificate
	rest := b
	for i := 0; i < 3; i++ {
		block, r := pem.Decode(rest)
		if block == nil || block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%w: expected 3 PEM certificates, found %d", ErrCertChain, i)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: certificate %d: %v", ErrCertChain, i+1, err)
		}
		certs = append(certs, cert)
		rest = r
	}
	if len(rest) != 0 && !bytes.Equal(rest, []byte{0}) {
		return nil, fmt.Errorf("%w: %d unexpected bytes after the third certificate", ErrCertChain, len(rest))
	}
	return &pckChain{pck: certs[0], intermediate: certs[1], root: certs[2]}, nil
}

// checkShape checks what go-tdx-guest checks of each certificate: X.509
// v3, ECDSA P-256 with SHA-256, Intel's names, issuer names and signatures
// linking leaf to intermediate to a self-signed root.
func (c *pckChain) checkShape() error {
	for _, link := range []struct {
		cert, parent *x509.Certificate
		cn, role     string
	}{
		{c.root, c.root, rootCN, "root CA"},
		{c.intermediate, c.root, intermediateCN, "intermediate CA"},
		{c.pck, c.intermediate, pckCN, "PCK leaf"},
	} {
		cert := link.cert
		if cert.Version != 3 || cert.SignatureAlgorithm != x509.ECDSAWithSHA256 {
			return fmt.Errorf("%w: %s certificate is not X.509 v3 signed with ECDSA-SHA256", ErrCertChain, link.role)
		}
		pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
		if !ok || pub.Curve != elliptic.P256() {
			return fmt.Errorf("%w: %s certificate key is not ECDSA P-256", ErrCertChain, link.role)
		}
		if cert.Subject.CommonName != link.cn {
			return fmt.Errorf("%w: %s certificate is named %q, want %q", ErrCertChain, link.role, cert.Subject.CommonName, link.cn)
		}
		if cert.Issuer.String() != link.parent.Subject.String() {
			return fmt.Errorf("%w: %s certificate issuer %q is not %q", ErrCertChain, link.role, cert.Issuer, link.parent.Subject)
		}
		if err := cert.CheckSignatureFrom(link.parent); err != nil {
			return fmt.Errorf("%w: %s certificate signature: %v", ErrCertChain, link.role, err)
		}
	}
	return nil
}

// verifyTo checks the chain against roots at time now, naming the
// certificate that is out of its validity period if one is.
func (c *pckChain) verifyTo(roots *x509.CertPool, now time.Time) error {
	for _, link := range []struct {
		cert *x509.Certificate
		role string
	}{{c.root, "root CA"}, {c.intermediate, "intermediate CA"}, {c.pck, "PCK leaf"}} {
		if now.Before(link.cert.NotBefore) || now.After(link.cert.NotAfter) {
			return fmt.Errorf("%w: %s certificate is valid from %s to %s, not at %s", ErrCertExpired, link.role,
				link.cert.NotBefore.UTC().Format(time.RFC3339), link.cert.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
	}
	inter := x509.NewCertPool()
	inter.AddCert(c.intermediate)
	_, err := c.pck.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now})
	var unknown x509.UnknownAuthorityError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &unknown):
		return fmt.Errorf("%w: the chain ends at %q (serial %s), which is not among the trusted roots", ErrUntrustedRoot, c.root.Subject.CommonName, c.root.SerialNumber)
	default:
		return fmt.Errorf("%w: %v", ErrCertChain, err)
	}
}

// ecdsaRaw verifies an r‖s signature over sha256(msg).
func ecdsaRaw(pub *ecdsa.PublicKey, msg, sig []byte) bool {
	if len(sig) != rawSigSize {
		return false
	}
	digest := sha256.Sum256(msg)
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:])
	return ecdsa.Verify(pub, digest[:], r, s)
}

// checkQuote verifies a parsed quote with this package's own code: the
// chain to roots at now, the QE report signature and its binding of the
// attestation key, and the quote signature. It returns the PCK leaf.
func checkQuote(q *Quote, roots *x509.CertPool, now time.Time) (*x509.Certificate, error) {
	chain, err := splitChain(q.sig.pckChain)
	if err != nil {
		return nil, err
	}
	if err := chain.checkShape(); err != nil {
		return nil, err
	}
	if err := chain.verifyTo(roots, now); err != nil {
		return nil, err
	}
	pckKey := chain.pck.PublicKey.(*ecdsa.PublicKey) // checkShape made sure
	if !ecdsaRaw(pckKey, q.sig.qeReport, q.sig.qeReportSig) {
		return nil, fmt.Errorf("%w: its signature does not verify with the PCK certificate's key", ErrQEReport)
	}
	want := sha256.Sum256(append(bytes.Clone(q.sig.attestKey), q.sig.qeAuthData...))
	reportData := q.sig.qeReport[320:384]
	if !bytes.Equal(reportData[:32], want[:]) || !bytes.Equal(reportData[32:], make([]byte, 32)) {
		return nil, fmt.Errorf("%w: its report data is not sha256(attestation key ‖ QE auth data)", ErrQEReport)
	}
	attestKey, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append([]byte{4}, q.sig.attestKey...))
	if err != nil {
		return nil, fmt.Errorf("%w: attestation key is not a P-256 point", ErrSignature)
	}
	if !ecdsaRaw(attestKey, q.sig.signed, q.sig.signature) {
		return nil, fmt.Errorf("%w: header and TD report were not signed by the attestation key", ErrSignature)
	}
	return chain.pck, nil
}
