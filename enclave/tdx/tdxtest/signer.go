// Package tdxtest mints structurally valid TDX quotes signed by a freshly
// generated test certificate chain, and serves matching Intel PCS
// collateral, so that tests can reach a fully verified quote. Quotes from a
// Signer verify only with its Roots injected; with Intel's roots they fail.
// Only tests may import this package.
package tdxtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	"github.com/google/go-tdx-guest/testing/testdata"
)

// Measurements are the TD measurements a minted quote carries.
type Measurements struct {
	MRTD       [48]byte
	RTMRs      [4][48]byte
	MRConfigID [48]byte
}

// Offsets in a version 4 quote (Intel's DCAP quote layout).
const (
	headerSize   = 48
	td10BodySize = 584
	qeReportSize = 384
	bodyMRTD     = 136
	bodyConfigID = 184
	bodyRTMR0    = 328
	bodyReport   = 520
	rootCRLURL   = "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der"
	pckCRLURL    = "https://api.trustedservices.intel.com/sgx/certification/v4/pckcrl?ca=platform&encoding=der"
)

// oidSGXExtensions is Intel's SGX extension in PCK certificates (PPID,
// TCB, PCE-ID, FMSPC), which go-tdx-guest reads.
var oidSGXExtensions = asn1.ObjectIdentifier{1, 2, 840, 113741, 1, 13, 1}

// Signer holds a test root CA, an intermediate CA, a PCK certificate, a
// TCB-signing certificate and an attestation key.
type Signer struct {
	notBefore, notAfter time.Time

	rootKey, interKey, pckKey, tcbKey, attestKey *ecdsa.PrivateKey
	root, inter, pck, tcbSigning                 *x509.Certificate

	header, body, qeReport []byte // templates from go-tdx-guest's real sample quote
}

// NewSigner generates a fresh test chain, valid from an hour ago for a
// year. It panics if the system's randomness fails.
func NewSigner() *Signer {
	now := time.Now().Truncate(time.Second)
	s := &Signer{notBefore: now.Add(-time.Hour), notAfter: now.AddDate(1, 0, 0)}
	for _, k := range []**ecdsa.PrivateKey{&s.rootKey, &s.interKey, &s.pckKey, &s.tcbKey, &s.attestKey} {
		*k = must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	}
	sample := sampleQuote()
	s.header, s.body, s.qeReport = sample.header, sample.body, sample.qeReport

	s.root = s.issue(nil, s.rootKey, "Intel SGX Root CA", true, nil)
	s.inter = s.issue(s.root, s.interKey, "Intel SGX PCK Platform CA", true, nil)
	s.pck = s.issue(s.inter, s.pckKey, "Intel SGX PCK Certificate", false, sample.sgxExtension)
	s.tcbSigning = s.issue(s.root, s.tcbKey, "Intel SGX TCB Signing", false, nil)
	return s
}

// issue makes a certificate for key's public half, signed by parent
// (self-signed when parent is nil).
func (s *Signer) issue(parent *x509.Certificate, key *ecdsa.PrivateKey, cn string, ca bool, ext *pkix.Extension) *x509.Certificate {
	tmpl := &x509.Certificate{
		SerialNumber:          must(rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"Confidant test chain, not Intel"}},
		NotBefore:             s.notBefore,
		NotAfter:              s.notAfter,
		BasicConstraintsValid: true,
		IsCA:                  ca,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		SignatureAlgorithm:    x509.ECDSAWithSHA256,
	}
	if ca {
		tmpl.KeyUsage |= x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	if parent == nil {
		tmpl.CRLDistributionPoints = []string{rootCRLURL}
	}
	if ext != nil {
		// go-tdx-guest expects a PCK certificate's six extensions: key
		// identifiers, CRL distribution point, key usage, basic
		// constraints and Intel's SGX extension.
		keyID := sha256.Sum256(must(key.PublicKey.Bytes()))
		tmpl.SubjectKeyId = keyID[:20]
		tmpl.CRLDistributionPoints = []string{pckCRLURL}
		tmpl.ExtraExtensions = []pkix.Extension{*ext}
	}
	signer, issuer := s.rootKey, tmpl
	if parent != nil {
		issuer = parent
		if parent != s.root {
			signer = s.interKey
		}
	}
	der := must(x509.CreateCertificate(rand.Reader, tmpl, issuer, &key.PublicKey, signer))
	return must(x509.ParseCertificate(der))
}

// Roots returns a pool holding the test root CA: pass it as
// tdx.Options.Roots.
func (s *Signer) Roots() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(s.root)
	return pool
}

// RootPEM returns the test root CA certificate in PEM.
func (s *Signer) RootPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.root.Raw})
}

// Validity returns the period every certificate of the chain is valid in.
func (s *Signer) Validity() (notBefore, notAfter time.Time) {
	return s.notBefore, s.notAfter
}

// Quote mints a version 4 quote over reportData and m.
func (s *Signer) Quote(reportData [64]byte, m Measurements) []byte {
	header := bytes.Clone(s.header)
	return s.assemble(header, s.tdBody(reportData, m))
}

// QuoteV5 mints a version 5 quote with a TDX 1.5 report body (type 3),
// whose extra fields (TEE_TCB_SVN_2, MRSERVICETD) are filled with 0x5a.
func (s *Signer) QuoteV5(reportData [64]byte, m Measurements) []byte {
	header := bytes.Clone(s.header)
	binary.LittleEndian.PutUint16(header[0:2], 5)
	body := append(s.tdBody(reportData, m), bytes.Repeat([]byte{0x5a}, 64)...)
	desc := binary.LittleEndian.AppendUint16(nil, 3)
	desc = binary.LittleEndian.AppendUint32(desc, uint32(len(body)))
	return s.assemble(header, append(desc, body...))
}

// tdBody is the sample TD report with the caller's fields.
func (s *Signer) tdBody(reportData [64]byte, m Measurements) []byte {
	body := bytes.Clone(s.body)
	copy(body[bodyMRTD:], m.MRTD[:])
	copy(body[bodyConfigID:], m.MRConfigID[:])
	for i, r := range m.RTMRs {
		copy(body[bodyRTMR0+48*i:], r[:])
	}
	copy(body[bodyReport:], reportData[:])
	return body
}

// assemble signs header‖body and appends the signature section: quote
// signature, attestation key, and QE report certification data with a QE
// report signed by the PCK key that binds the attestation key.
func (s *Signer) assemble(header, body []byte) []byte {
	signed := append(header, body...)
	attestPub := must(s.attestKey.PublicKey.Bytes())[1:] // drop the 0x04 prefix
	authData := []byte("confidant tdxtest QE auth data..")

	qeReport := bytes.Clone(s.qeReport)
	binding := sha256.Sum256(append(bytes.Clone(attestPub), authData...))
	copy(qeReport[320:], binding[:])
	clear(qeReport[352:384])

	var chain []byte
	for _, c := range []*x509.Certificate{s.pck, s.inter, s.root} {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	chain = append(chain, 0)

	var cert []byte
	cert = append(cert, qeReport...)
	cert = append(cert, rawSign(s.pckKey, qeReport)...)
	cert = binary.LittleEndian.AppendUint16(cert, uint16(len(authData)))
	cert = append(cert, authData...)
	cert = binary.LittleEndian.AppendUint16(cert, 5)
	cert = binary.LittleEndian.AppendUint32(cert, uint32(len(chain)))
	cert = append(cert, chain...)

	var sig []byte
	sig = append(sig, rawSign(s.attestKey, signed)...)
	sig = append(sig, attestPub...)
	sig = binary.LittleEndian.AppendUint16(sig, 6)
	sig = binary.LittleEndian.AppendUint32(sig, uint32(len(cert)))
	sig = append(sig, cert...)

	out := binary.LittleEndian.AppendUint32(signed, uint32(len(sig)))
	return append(out, sig...)
}

// rawSign signs sha256(msg) and returns r‖s, 32 bytes each.
func rawSign(key *ecdsa.PrivateKey, msg []byte) []byte {
	digest := sha256.Sum256(msg)
	r, sv := must2(ecdsa.Sign(rand.Reader, key, digest[:]))
	out := make([]byte, 64)
	r.FillBytes(out[:32])
	sv.FillBytes(out[32:])
	return out
}

// sample holds what tdxtest borrows from go-tdx-guest's real quote.
type sample struct {
	header, body, qeReport []byte
	sgxExtension           *pkix.Extension
}

// sampleQuote cuts go-tdx-guest's real sample quote into the templates.
func sampleQuote() sample {
	raw := testdata.RawQuote
	const sigStart = headerSize + td10BodySize + 4
	certStart := sigStart + 64 + 64 + 6
	qeReport := raw[certStart : certStart+qeReportSize]
	authLen := int(binary.LittleEndian.Uint16(raw[certStart+qeReportSize+64:]))
	chainStart := certStart + qeReportSize + 64 + 2 + authLen + 6
	block, _ := pem.Decode(raw[chainStart:])
	if block == nil {
		panic("tdxtest: sample quote has no PCK certificate")
	}
	pck := must(x509.ParseCertificate(block.Bytes))
	var ext *pkix.Extension
	for _, e := range pck.Extensions {
		if e.Id.Equal(oidSGXExtensions) {
			ext = &pkix.Extension{Id: e.Id, Value: e.Value}
		}
	}
	if ext == nil {
		panic("tdxtest: sample PCK certificate has no SGX extension")
	}
	return sample{
		header:       bytes.Clone(raw[:headerSize]),
		body:         bytes.Clone(raw[headerSize : headerSize+td10BodySize]),
		qeReport:     bytes.Clone(qeReport),
		sgxExtension: ext,
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("tdxtest: %v", err))
	}
	return v
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(fmt.Sprintf("tdxtest: %v", err))
	}
	return a, b
}
