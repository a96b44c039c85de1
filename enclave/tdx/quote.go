package tdx

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"confidant/enclave"
)

// Layout constants of Intel's TDX DCAP quote format (versions 4 and 5).
const (
	headerSize      = 48
	td10BodySize    = 584 // TD report body of TDX 1.0
	td15BodySize    = 648 // TDX 1.5: adds TEE_TCB_SVN_2 and MRSERVICETD
	qeReportSize    = 384
	rawSigSize      = 64 // ECDSA P-256 r‖s
	rawKeySize      = 64 // P-256 point X‖Y
	bodyDescSize    = 6  // v5: body type (u16) and body size (u32)
	teeTypeTDX      = 0x81
	akTypeECDSAP256 = 2

	certTypeQEReport = 6 // certification data: QE report certification data
	certTypePCKChain = 5 // certification data: PCK certificate chain (PEM)

	bodyTypeTD10 = 2 // v5 body types
	bodyTypeTD15 = 3
)

// Quote is a parsed TDX quote: header and TD report body fields, bytes as
// they appear in the quote. It marshals to JSON with hex strings.
type Quote struct {
	Version            uint16
	AttestationKeyType uint16
	TEEType            uint32
	QESVN, PCESVN      uint16
	QEVendorID         []byte
	UserData           []byte // header user data (20 bytes; the first 16 are the QE identity)
	BodyType           uint16 // v5 only: 2 = TDX 1.0 report, 3 = TDX 1.5 report

	TEETCBSVN      []byte
	MRSEAM         []byte
	MRSignerSEAM   []byte
	SEAMAttributes []byte
	TDAttributes   []byte
	XFAM           []byte
	MRTD           []byte
	MRConfigID     []byte
	MROwner        []byte
	MROwnerConfig  []byte
	RTMRs          [4][]byte
	ReportData     []byte

	// TDX 1.5 report body (v5 body type 3) only.
	TEETCBSVN2  []byte
	MRServiceTD []byte

	sig sigData
}

// sigData is the quote's signature section, kept for verification.
type sigData struct {
	signed      []byte // header and body: what the attestation key signed
	signature   []byte // quote signature, r‖s
	attestKey   []byte // attestation public key, X‖Y
	qeReport    []byte // the QE's SGX report (384 bytes), signed by the PCK key
	qeReportSig []byte // r‖s
	qeAuthData  []byte // hashed with the attestation key into the QE report data
	pckChain    []byte // PEM: PCK leaf, intermediate CA, root CA
}

// quoteJSON is the JSON shape of Quote.
type quoteJSON struct {
	Version            uint16    `json:"version"`
	AttestationKeyType uint16    `json:"attestation_key_type"`
	TEEType            string    `json:"tee_type"`
	QESVN              uint16    `json:"qe_svn"`
	PCESVN             uint16    `json:"pce_svn"`
	QEVendorID         string    `json:"qe_vendor_id"`
	UserData           string    `json:"user_data"`
	BodyType           uint16    `json:"body_type,omitempty"`
	TEETCBSVN          string    `json:"tee_tcb_svn"`
	MRSEAM             string    `json:"mr_seam"`
	MRSignerSEAM       string    `json:"mr_signer_seam"`
	SEAMAttributes     string    `json:"seam_attributes"`
	TDAttributes       string    `json:"td_attributes"`
	XFAM               string    `json:"xfam"`
	MRTD               string    `json:"mr_td"`
	MRConfigID         string    `json:"mr_config_id"`
	MROwner            string    `json:"mr_owner"`
	MROwnerConfig      string    `json:"mr_owner_config"`
	RTMRs              [4]string `json:"rtmrs"`
	ReportData         string    `json:"report_data"`
	TEETCBSVN2         string    `json:"tee_tcb_svn2,omitempty"`
	MRServiceTD        string    `json:"mr_service_td,omitempty"`
}

// MarshalJSON implements json.Marshaler with hex strings for byte fields.
func (q *Quote) MarshalJSON() ([]byte, error) {
	h := hex.EncodeToString
	out := quoteJSON{
		Version: q.Version, AttestationKeyType: q.AttestationKeyType,
		TEEType: fmt.Sprintf("0x%02x", q.TEEType), QESVN: q.QESVN, PCESVN: q.PCESVN,
		QEVendorID: h(q.QEVendorID), UserData: h(q.UserData), BodyType: q.BodyType,
		TEETCBSVN: h(q.TEETCBSVN), MRSEAM: h(q.MRSEAM), MRSignerSEAM: h(q.MRSignerSEAM),
		SEAMAttributes: h(q.SEAMAttributes), TDAttributes: h(q.TDAttributes), XFAM: h(q.XFAM),
		MRTD: h(q.MRTD), MRConfigID: h(q.MRConfigID), MROwner: h(q.MROwner), MROwnerConfig: h(q.MROwnerConfig),
		ReportData: h(q.ReportData), TEETCBSVN2: h(q.TEETCBSVN2), MRServiceTD: h(q.MRServiceTD),
	}
	for i, r := range q.RTMRs {
		out.RTMRs[i] = h(r)
	}
	return json.Marshal(out)
}

// reader walks a byte slice and records the first short read.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) next(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b)-r.off < n {
		r.err = fmt.Errorf("%w: %s needs %d bytes at offset %d, %d left", ErrTruncated, what, n, r.off, len(r.b)-r.off)
		return nil
	}
	out := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return out
}

func (r *reader) u16(what string) uint16 {
	if b := r.next(2, what); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32(what string) uint32 {
	if b := r.next(4, what); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

// Parse parses a raw TDX quote of version 4 or 5. It checks the structure
// (sizes, types, lengths), not the signatures: see Verify. Trailing bytes
// after the signature section are ignored, as go-tdx-guest does.
func Parse(raw []byte) (*Quote, error) {
	if enclave.IsSimulatedQuote(raw) {
		return nil, ErrSimulated
	}
	r := &reader{b: raw}
	q := &Quote{}
	header := r.next(headerSize, "header")
	if r.err != nil {
		return nil, r.err
	}
	q.Version = binary.LittleEndian.Uint16(header[0:2])
	q.AttestationKeyType = binary.LittleEndian.Uint16(header[2:4])
	q.TEEType = binary.LittleEndian.Uint32(header[4:8])
	q.QESVN = binary.LittleEndian.Uint16(header[8:10])
	q.PCESVN = binary.LittleEndian.Uint16(header[10:12])
	q.QEVendorID = header[12:28]
	q.UserData = header[28:48]
	switch {
	case q.Version != 4 && q.Version != 5:
		return nil, fmt.Errorf("%w: version %d (want 4 or 5)", ErrUnsupported, q.Version)
	case q.TEEType != teeTypeTDX:
		return nil, fmt.Errorf("%w: TEE type 0x%x is not TDX (0x81)", ErrUnsupported, q.TEEType)
	case q.AttestationKeyType != akTypeECDSAP256:
		return nil, fmt.Errorf("%w: attestation key type %d (want 2, ECDSA P-256)", ErrUnsupported, q.AttestationKeyType)
	}

	bodySize := td10BodySize
	if q.Version == 5 {
		q.BodyType = r.u16("body type")
		size := r.u32("body size")
		if r.err != nil {
			return nil, r.err
		}
		switch {
		case q.BodyType == bodyTypeTD10 && size == td10BodySize:
		case q.BodyType == bodyTypeTD15 && size == td15BodySize:
			bodySize = td15BodySize
		case q.BodyType == bodyTypeTD10 || q.BodyType == bodyTypeTD15:
			return nil, fmt.Errorf("%w: body type %d with size %d", ErrMalformed, q.BodyType, size)
		default:
			return nil, fmt.Errorf("%w: v5 body type %d is not a TD report", ErrUnsupported, q.BodyType)
		}
	}
	body := r.next(bodySize, "TD report body")
	if r.err != nil {
		return nil, r.err
	}
	q.parseBody(body)
	q.sig.signed = raw[:r.off:r.off]

	sigLen := r.u32("signature data length")
	sig := r.next(int(sigLen), "signature data")
	if r.err != nil {
		return nil, r.err
	}
	if err := q.sig.parse(sig); err != nil {
		return nil, err
	}
	return q, nil
}

// parseBody fills the TD report fields from a body of 584 or 648 bytes.
func (q *Quote) parseBody(b []byte) {
	r := &reader{b: b}
	q.TEETCBSVN = r.next(16, "")
	q.MRSEAM = r.next(48, "")
	q.MRSignerSEAM = r.next(48, "")
	q.SEAMAttributes = r.next(8, "")
	q.TDAttributes = r.next(8, "")
	q.XFAM = r.next(8, "")
	q.MRTD = r.next(48, "")
	q.MRConfigID = r.next(48, "")
	q.MROwner = r.next(48, "")
	q.MROwnerConfig = r.next(48, "")
	for i := range q.RTMRs {
		q.RTMRs[i] = r.next(48, "")
	}
	q.ReportData = r.next(64, "")
	if len(b) == td15BodySize {
		q.TEETCBSVN2 = r.next(16, "")
		q.MRServiceTD = r.next(48, "")
	}
}

// parse reads the ECDSA signature section. Every length must add up
// exactly: a quote whose sizes disagree is malformed, not truncated.
func (s *sigData) parse(b []byte) error {
	r := &reader{b: b}
	s.signature = r.next(rawSigSize, "quote signature")
	s.attestKey = r.next(rawKeySize, "attestation key")
	certType := r.u16("certification data type")
	certSize := r.u32("certification data size")
	if r.err != nil {
		return r.err
	}
	if certType != certTypeQEReport {
		return fmt.Errorf("%w: certification data type %d (want 6, QE report)", ErrUnsupported, certType)
	}
	if int64(certSize) != int64(len(b)-r.off) {
		return fmt.Errorf("%w: certification data size %d, but %d bytes remain", ErrMalformed, certSize, len(b)-r.off)
	}
	s.qeReport = r.next(qeReportSize, "QE report")
	s.qeReportSig = r.next(rawSigSize, "QE report signature")
	authSize := r.u16("QE auth data size")
	s.qeAuthData = r.next(int(authSize), "QE auth data")
	pckType := r.u16("PCK certification data type")
	pckSize := r.u32("PCK certificate chain size")
	if r.err != nil {
		return r.err
	}
	if pckType != certTypePCKChain {
		return fmt.Errorf("%w: inner certification data type %d (want 5, PCK certificate chain)", ErrUnsupported, pckType)
	}
	if int64(pckSize) != int64(len(b)-r.off) {
		return fmt.Errorf("%w: PCK certificate chain size %d, but %d bytes remain", ErrMalformed, pckSize, len(b)-r.off)
	}
	s.pckChain = r.next(int(pckSize), "PCK certificate chain")
	return r.err
}
