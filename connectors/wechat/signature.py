"""Who may call the webhook: WeChat's signatures, safe mode (AES) and replay refusal.

Every request carries ``signature`` = sha1(sorted(token, timestamp, nonce)); in safe mode
also ``msg_signature`` over the encrypted body, which is then decrypted with the
EncodingAESKey and checked against our AppID. Timestamps outside a ±5-minute window are
refused as replays, and within it a (timestamp, nonce) pair is accepted with one body
only. The body is bounded and may carry no DTD. Signatures are compared in constant time.

Docs: https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html ,
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html
"""
from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from typing import Mapping, Optional, Protocol, Tuple
from xml.parsers.expat import ExpatError

import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import WeChatSigner

from connectors.base import Secret
from connectors.wechat.config import ENV_AES_KEY, ENV_APPID

MAX_BODY_BYTES = 64 * 1024
TIMESTAMP_WINDOW_S = 300


class Rejected(Exception):
    """A request refused before any processing: the HTTP status and why (for the operator log)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _signature_of(*parts: Optional[str]) -> str:
    """WeChat's sha1 over the sorted parts (wechatpy's signer)."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return str(signer.signature)


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison: the time taken never tells how much of a signature was right."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def check_query(token: Secret, args: Mapping[str, Optional[str]], now: float) -> None:
    """Refuse (403) a request not signed with our token or signed outside the time window.

    WeChat signs sha1(sorted(token, timestamp, nonce)); a captured request replayed later
    than ``TIMESTAMP_WINDOW_S`` seconds is refused even with its valid signature (within
    the window, :class:`RecentNonces` refuses it).
    """
    signature, timestamp, nonce = (args.get(k) for k in ("signature", "timestamp", "nonce"))
    if not (signature and timestamp and nonce):
        raise Rejected(403, "missing signature, timestamp or nonce")
    try:
        age = now - int(timestamp)
    except ValueError:
        raise Rejected(403, "timestamp is not a number") from None
    if abs(age) > TIMESTAMP_WINDOW_S:
        raise Rejected(403, f"timestamp {age:+.0f} s away from now (replay or clock skew)")
    if not _same(_signature_of(token.reveal(), timestamp, nonce), signature):
        raise Rejected(403, "wrong signature")


class NonceStore(Protocol):
    """Remembers the signed (timestamp, nonce) pairs seen within the signature window.

    Behind this interface so that several server processes can share one store later
    (a Redis ``SET NX EX`` implements it); :class:`RecentNonces` is the in-process one.
    """

    def first_use(self, timestamp: str, nonce: str, body_digest: str, now: float) -> bool:
        """False when the pair was already used with another body (a replay)."""
        ...


class RecentNonces:
    """In-process :class:`NonceStore`: the pairs of the last ``2 × TIMESTAMP_WINDOW_S`` seconds.

    A signed query string does not cover a plaintext body, so a captured query could
    carry any body while its timestamp is fresh. The same pair with the same body is
    WeChat retrying one delivery (answered once by the MsgId dedupe); with another
    body it is a replay. Only verified requests are remembered, so the memory grows
    with WeChat's own traffic; ``max_entries`` bounds it anyway (oldest forgotten).
    """

    def __init__(self, max_entries: int = 200_000) -> None:
        self.max_entries = max_entries
        self._seen: "OrderedDict[Tuple[str, str], Tuple[float, str]]" = OrderedDict()

    def first_use(self, timestamp: str, nonce: str, body_digest: str, now: float) -> bool:
        self._expire(now)
        key = (timestamp, nonce)
        seen = self._seen.get(key)
        if seen is not None:
            return hmac.compare_digest(seen[1], body_digest)
        self._seen[key] = (now, body_digest)
        while len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)
        return True

    def _expire(self, now: float) -> None:
        # A timestamp is accepted up to TIMESTAMP_WINDOW_S either side of the clock.
        cutoff = now - 2 * TIMESTAMP_WINDOW_S
        while self._seen:
            seen_at = next(iter(self._seen.values()))[0]
            if seen_at >= cutoff:
                break
            self._seen.popitem(last=False)


def check_nonce(nonces: NonceStore, args: Mapping[str, Optional[str]], body: bytes, now: float) -> None:
    """Refuse (403) a verified query string used before with another body."""
    digest = hashlib.sha256(body).hexdigest()
    if not nonces.first_use(args.get("timestamp") or "", args.get("nonce") or "", digest, now):
        raise Rejected(403, "nonce already used with another body (replayed query string)")


def reject_declarations(xml: bytes) -> None:
    """Refuse (400) XML with a DTD: entity expansion (billion laughs, external entities) needs one.

    A DOCTYPE, and so any ENTITY, can only come before the root element.
    """
    root = xml.find(b"<xml")
    if root < 0:
        raise Rejected(400, "not a WeChat message: no <xml> root element")
    if b"<!" in xml[:root]:
        raise Rejected(400, "DOCTYPE/ENTITY declarations are not accepted")


def _check_msg_signature(crypto: WeChatCrypto, body: bytes, args: Mapping[str, Optional[str]]) -> None:
    """msg_signature is sha1(sorted(token, timestamp, nonce, Encrypt)), compared in constant time.

    wechatpy compares it with ``!=``; checked here first, its own check then always passes.
    """
    msg_signature = args.get("msg_signature")
    if not msg_signature:
        raise Rejected(403, "missing msg_signature")
    try:
        envelope = xmltodict.parse(body.decode("utf-8"))["xml"]
        encrypt = envelope["Encrypt"]
    except (ExpatError, KeyError, TypeError, UnicodeDecodeError, ValueError):
        raise Rejected(400, "not a WeChat safe-mode envelope (no Encrypt element)") from None
    if not isinstance(encrypt, str):
        raise Rejected(400, "malformed Encrypt element")
    expected = _signature_of(crypto.token, args.get("timestamp"), args.get("nonce"), encrypt)
    if not _same(expected, msg_signature):
        raise Rejected(403, "wrong msg_signature")


def _decrypt(crypto: Optional[WeChatCrypto], body: bytes, args: Mapping[str, Optional[str]]) -> bytes:
    """The inner XML of an AES (safe mode) message, after checking msg_signature and AppID."""
    if crypto is None:
        raise Rejected(503, f"AES (safe mode) message but {ENV_AES_KEY} and {ENV_APPID} are not "
                            "both set correctly")
    _check_msg_signature(crypto, body, args)
    try:
        inner = crypto.decrypt_message(body, args.get("msg_signature"), args.get("timestamp"),
                                       args.get("nonce"))
    except (InvalidSignatureException, InvalidAppIdException):
        raise Rejected(403, "wrong msg_signature or AppID") from None
    except Exception as error:  # malformed base64, padding, envelope: the body is not ours
        raise Rejected(400, f"cannot decrypt the message: {type(error).__name__}") from None
    inner_bytes = inner.encode("utf-8")
    reject_declarations(inner_bytes)
    return inner_bytes


def message_xml(crypto: Optional[WeChatCrypto], body: bytes, args: Mapping[str, Optional[str]],
                aes_required: bool = False) -> str:
    """The plaintext message XML of a verified request, bounded and without a DTD.

    With an EncodingAESKey configured only safe mode is accepted: a plaintext body is
    covered by no signature, so accepting it would let a captured query carry any text.
    """
    if len(body) > MAX_BODY_BYTES:
        raise Rejected(413, f"body larger than {MAX_BODY_BYTES} bytes")
    reject_declarations(body)
    mode = args.get("encrypt_type") or "raw"
    if mode == "aes":
        body = _decrypt(crypto, body, args)
    elif mode != "raw":
        raise Rejected(400, f"unknown encrypt_type {mode!r}")
    elif aes_required:
        raise Rejected(403, f"plaintext message refused: {ENV_AES_KEY} is set, so only safe mode "
                            "(encrypt_type=aes) is accepted")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(400, "body is not UTF-8") from None
