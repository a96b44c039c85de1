# Independent reference implementation of the sealed-value format (doc.go).
# Writes vectors.json in the current directory. Needs "cryptography".
import hashlib, hmac, json, struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def keyid(dek):
    return hmac.new(dek, b"confidant/seal/key-id/v1", hashlib.sha256).digest()[:4]


def aadenc(hdr, a):
    out = b"confidant/seal/v1" + hdr
    for f in (a["user_id"], a["table"], a["column"], a["row_id"]):
        fb = f.encode()
        out += struct.pack(">I", len(fb)) + fb
    return out


def seal(dek, nonce, a, pt):
    hdr = bytes([1]) + keyid(dek)
    return hdr + nonce + AESGCM(dek).encrypt(nonce, pt, aadenc(hdr, a))


dek1 = bytes.fromhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
dek2 = bytes(range(0x20, 0x40))
u = "6f1c2a8e-4b7d-4c2e-9a1f-3d5e7b9c0a12"
base = {"user_id": u, "table": "messages", "column": "content", "row_id": "0190f3a2-7c4e-7b1a-8d2e-5f6a7b8c9d0e"}
valid = [
    ("message text", dek1, bytes.fromhex("cafebabefacedbaddecaf888"), base, "Hello from inside the enclave. ✓".encode()),
    ("empty plaintext", dek1, bytes.fromhex("000000000000000000000000"), dict(base, column="title"), b""),
    ("memory row, second key", dek2, bytes.fromhex("ffffffffffffffffffffffff"), dict(base, table="memories", column="body", row_id="42"), "Ünïcödé and\nnewlines\x00and a NUL".encode()),
]
cases = [{"name": n, "dek": d.hex(), "nonce": no.hex(), "aad": a, "plaintext": pt.hex(), "sealed": seal(d, no, a, pt).hex()} for n, d, no, a, pt in valid]
s = bytes.fromhex(cases[0]["sealed"])


def mut(b, i):
    b = bytearray(b)
    b[i] ^= 1
    return bytes(b)


neg = [
    ("moved to another row", dek1, dict(base, row_id="0190f3a2-7c4e-7b1a-8d2e-5f6a7b8c9d0f"), s, "corrupt"),
    ("moved to another user", dek1, dict(base, user_id="6f1c2a8e-4b7d-4c2e-9a1f-3d5e7b9c0a13"), s, "corrupt"),
    ("moved to another column", dek1, dict(base, column="title"), s, "corrupt"),
    ("moved to another table", dek1, dict(base, table="memories"), s, "corrupt"),
    ("field boundary shifted", dek1, dict(base, table="messagesc", column="ontent"), s, "corrupt"),
    ("ciphertext bit flipped", dek1, base, mut(s, 20), "corrupt"),
    ("nonce bit flipped", dek1, base, mut(s, 6), "corrupt"),
    ("tag bit flipped", dek1, base, mut(s, len(s) - 1), "corrupt"),
    ("truncated by one", dek1, base, s[:-1], "corrupt"),
    ("truncated to header", dek1, base, s[:17], "corrupt"),
    ("extended by one", dek1, base, s + b"\x00", "corrupt"),
    ("empty", dek1, base, b"", "corrupt"),
    ("version 0", dek1, base, b"\x00" + s[1:], "version"),
    ("version 2", dek1, base, b"\x02" + s[1:], "version"),
    ("version 0xff", dek1, base, b"\xff" + s[1:], "version"),
    ("key id changed", dek1, base, mut(s, 2), "wrong_key"),
    ("other data key", dek2, base, s, "wrong_key"),
    ("other data key with forged key id", dek2, base, s[:1] + keyid(dek2) + s[5:], "corrupt"),
]
negs = [{"name": n, "dek": d.hex(), "aad": a, "sealed": x.hex(), "err": e} for n, d, a, x, e in neg]
json.dump({"comment": "Sealed-value vectors computed by an independent Python implementation of the format in doc.go (cryptography's AESGCM). They pin the format: a change means stored values no longer open.", "valid": cases, "invalid": negs}, open("vectors.json", "w"), indent=2)
