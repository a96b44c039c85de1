package transfer

import (
	"bufio"
	"crypto/hpke"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/google/uuid"
)

// ChunkSize is the plaintext size of every chunk but the last.
const ChunkSize = 64 << 10

// streamMagic starts every transfer stream.
const streamMagic = "CONFIDANT-TRANSFER/1\n"

// Frame flags; the flag is authenticated as part of the AAD.
const (
	flagMore  byte = 0
	flagFinal byte = 1
)

// maxFrame is the largest ciphertext frame: a chunk and its GCM tag.
const maxFrame = ChunkSize + 16

// chunkAAD binds a chunk to the transfer, its position and whether it is
// the last one: reordering, dropping or cutting chunks changes the AAD the
// opener uses, so the chunk fails to open.
func chunkAAD(id uuid.UUID, seq uint64, flag byte) []byte {
	aad := make([]byte, 0, 64)
	aad = append(aad, "confidant/transfer/v1/chunk\x00"...)
	aad = append(aad, id[:]...)
	aad = binary.BigEndian.AppendUint64(aad, seq)
	return append(aad, flag)
}

// Seal reads src to its end and writes it to dst as a transfer stream
// sealed to pub for transfer id at origin: the magic line, the HPKE
// encapsulated key, then sequence-numbered chunks, the last one flagged.
// sent, when not nil, is told the plaintext bytes sealed so far.
func Seal(dst io.Writer, pub hpke.PublicKey, id uuid.UUID, origin string, src io.Reader, sent func(int64)) error {
	_, kdf, aead := suite()
	enc, sender, err := hpke.NewSender(pub, kdf, aead, hpkeInfo(id, origin))
	if err != nil {
		return fmt.Errorf("transfer: seal: %w", err)
	}
	head := append([]byte(streamMagic), byte(len(enc)>>8), byte(len(enc)))
	if _, err := dst.Write(append(head, enc...)); err != nil {
		return fmt.Errorf("transfer: write: %w", err)
	}
	in := bufio.NewReaderSize(src, ChunkSize)
	buf := make([]byte, ChunkSize)
	var total int64
	for seq := uint64(0); ; seq++ {
		n, err := io.ReadFull(in, buf)
		flag := flagMore
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			flag = flagFinal
		case err != nil:
			return fmt.Errorf("transfer: read bundle: %w", err)
		default:
			if _, perr := in.Peek(1); errors.Is(perr, io.EOF) {
				flag = flagFinal
			} else if perr != nil {
				return fmt.Errorf("transfer: read bundle: %w", perr)
			}
		}
		ct, err := sender.Seal(chunkAAD(id, seq, flag), buf[:n])
		if err != nil {
			return fmt.Errorf("transfer: seal chunk: %w", err)
		}
		frame := make([]byte, 5, 5+len(ct))
		frame[0] = flag
		binary.BigEndian.PutUint32(frame[1:], uint32(len(ct)))
		if _, err := dst.Write(append(frame, ct...)); err != nil {
			return fmt.Errorf("transfer: write: %w", err)
		}
		total += int64(n)
		if sent != nil {
			sent(total)
		}
		if flag == flagFinal {
			return nil
		}
	}
}

// Open reads a transfer stream from src, opens it with priv for transfer
// id at origin and writes the plaintext to dst. It fails with ErrTampered
// when any chunk does not authenticate (altered, reordered, replayed from
// another stream or sealed to another key), ErrTruncated when the stream
// ends before its final chunk, and ErrMalformed for anything else that is
// not a transfer stream, including bytes after the final chunk. What it
// wrote before failing must be discarded: call it once into io.Discard to
// verify a stream before using its plaintext. It returns the plaintext
// size.
func Open(dst io.Writer, priv hpke.PrivateKey, id uuid.UUID, origin string, src io.Reader) (int64, error) {
	in := bufio.NewReader(src)
	head := make([]byte, len(streamMagic)+2)
	if _, err := io.ReadFull(in, head); err != nil || string(head[:len(streamMagic)]) != streamMagic {
		return 0, fmt.Errorf("%w: no transfer header", ErrMalformed)
	}
	enc := make([]byte, int(head[len(head)-2])<<8|int(head[len(head)-1]))
	if _, err := io.ReadFull(in, enc); err != nil {
		return 0, fmt.Errorf("%w: short encapsulated key", ErrMalformed)
	}
	_, kdf, aead := suite()
	recipient, err := hpke.NewRecipient(enc, priv, kdf, aead, hpkeInfo(id, origin))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrTampered, err)
	}
	var (
		total int64
		hdr   [5]byte
	)
	for seq := uint64(0); ; seq++ {
		if _, err := io.ReadFull(in, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return total, ErrTruncated
			}
			return total, fmt.Errorf("transfer: read: %w", err)
		}
		flag, size := hdr[0], binary.BigEndian.Uint32(hdr[1:])
		if flag != flagMore && flag != flagFinal {
			return total, fmt.Errorf("%w: unknown chunk flag %d", ErrMalformed, flag)
		}
		if size > maxFrame {
			return total, fmt.Errorf("%w: chunk of %d bytes", ErrMalformed, size)
		}
		ct := make([]byte, size)
		if _, err := io.ReadFull(in, ct); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return total, ErrTruncated
			}
			return total, fmt.Errorf("transfer: read: %w", err)
		}
		pt, err := recipient.Open(chunkAAD(id, seq, flag), ct)
		if err != nil {
			return total, fmt.Errorf("%w (chunk %d)", ErrTampered, seq)
		}
		if _, err := dst.Write(pt); err != nil {
			return total, fmt.Errorf("transfer: write: %w", err)
		}
		total += int64(len(pt))
		if flag == flagFinal {
			if _, err := in.ReadByte(); !errors.Is(err, io.EOF) {
				return total, fmt.Errorf("%w: data after the final chunk", ErrMalformed)
			}
			return total, nil
		}
	}
}
