"""What the gen_vectors_more*.py generators share: HMACs computed with
Python's hmac (independently of the Go code), and add(), which appends one
vector object in the format of vectors_more*.json to V."""
import base64, hashlib, hmac

RECOMP = "recomputed from documented algorithm"
V = []

def _bytes(s):
    return s.encode() if isinstance(s, str) else s

def raw(key, msg, alg=hashlib.sha256):
    """The HMAC of msg under key (str or bytes), as bytes."""
    return hmac.new(_bytes(key), _bytes(msg), alg).digest()

def hx(key, msg, alg=hashlib.sha256):
    return raw(key, msg, alg).hex()

def b64(key, msg, alg=hashlib.sha256):
    return base64.b64encode(raw(key, msg, alg)).decode()

def add(id, provider, scheme, secret, headers, body, now, expect, reason, source, tol=0, method="POST", url=None, provenance=RECOMP, **extra):
    v = {"id": id, "provider": provider, "scheme": scheme, "secret": secret, "tolerance_s": tol,
         "headers": headers, "body": body, "now": now, "expect": expect, "reason": reason,
         "provenance": provenance, "official": provenance != RECOMP, "source": source, "method": method}
    if url is not None:
        v["url"] = url
    v.update(extra)
    V.append(v)
