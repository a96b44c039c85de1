# Independent reference implementation of the key labels and the wrapped-DEK
# format (labels.go, dek.go). Writes derivations.json in the current directory.
# Needs the "cryptography" package.
import hashlib, hmac, json, struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def H(k, m):
    return hmac.new(k, m, hashlib.sha256).digest()


root = bytes(range(32))
prk = H(b"confidant/keyring/v1", root)  # HKDF-Extract(salt, ikm)


def exp(info):  # HKDF-Expand for 32 bytes is one HMAC block
    return H(prk, info + b"\x01")


uid_s = "6f1c2a8e-4b7d-4c2e-9a1f-3d5e7b9c0a12"
uid = bytes.fromhex(uid_s.replace("-", ""))
tomb = exp(b"confidant/tombstone/v1")
dek = bytes.fromhex("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf")
nonce = bytes.fromhex("000102030405060708090a0b")


def wrap(ver):
    hdr = bytes([1]) + struct.pack(">I", ver)
    aad = b"confidant/dek-wrap/v1\x00" + uid + hdr
    return hdr + nonce + AESGCM(exp(b"confidant/kek/v%d" % ver)).encrypt(nonce, dek, aad)


out = {
    "comment": "Expected derivations for root = 00..1f, computed by an independent Python implementation of the labels in labels.go. A change here means existing data would no longer open.",
    "root": root.hex(), "user_id": uid_s,
    "kek_v1": exp(b"confidant/kek/v1").hex(),
    "kek_v2": exp(b"confidant/kek/v2").hex(),
    "blind_index_key": exp(b"confidant/blind-index/v1\x00" + uid).hex(),
    "vector_key": exp(b"confidant/vector-transform/v1\x00" + uid).hex(),
    "signing_seed": exp(b"confidant/attestation-signing/v1").hex(),
    "transfer_seed": exp(b"confidant/export-transfer/v1").hex(),
    "lookup_key": exp(b"confidant/lookup/v1").hex(),
    "tombstone_id": H(tomb, b"confidant/tombstone-id/v1" + uid).hex(),
    "dek": dek.hex(), "nonce": nonce.hex(),
    "wrapped_v1": wrap(1).hex(), "wrapped_v2": wrap(2).hex(),
}
json.dump(out, open("derivations.json", "w"), indent=2)
