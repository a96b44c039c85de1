# Independent reference for tokens.json: NFKC, casefold, NFKC, words as runs
# of letters and digits, HMAC-SHA256 truncated to 16 bytes. (Only texts without
# Han/Kana characters, which the Go code splits per character.)
import hashlib, hmac, json, re, unicodedata

key = bytes(range(0x40, 0x60))
texts = ["Hello, world!", "Straße in KÖLN, strasse in Köln", "ﬁnal ＡＢＣ 42", "Привет мир привет"]
cases = []
for t in texts:
    n = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", t).casefold())
    words = []
    for w in re.findall(r"[^\W_]+", n):
        if w not in words:
            words.append(w)
    cases.append({"text": t, "words": words, "tokens": [hmac.new(key, w.encode(), hashlib.sha256).digest()[:16].hex() for w in words]})
json.dump({"comment": "Tokens for key 40..5f computed by an independent Python implementation (NFKC, casefold, NFKC, HMAC-SHA256 truncated to 16 bytes).", "key": key.hex(), "cases": cases}, open("tokens.json", "w"), indent=2, ensure_ascii=False)
