"""Reading an OAuth 2.0 token request (RFC 6749): its form body and HTTP Basic client
credentials. Pure functions, so the edge cases are tested on their own.

RFC 6749 §3.2: parameters must not repeat, and a parameter sent without a value is the same
as one left out. §2.3.1: the client id and secret in a Basic header are form-urlencoded
before they are joined with a colon and base64-encoded.
"""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl, unquote_plus

MAX_FIELDS = 20


class TokenRequestError(ValueError):
    """The token request is malformed (an `invalid_request` answer)."""


def parse_token_form(body: bytes) -> dict[str, str]:
    """The parameters of an application/x-www-form-urlencoded body; empty values are left
    out, and a repeated parameter is an error."""
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError) as exc:
        raise TokenRequestError("the body is not valid form-encoded UTF-8") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        if "\x00" in name or "\x00" in value:
            raise TokenRequestError("the body holds a NUL character")
        if name in form:
            raise TokenRequestError(f"the parameter '{name}' is given more than once")
        form[name] = value
    return {name: value for name, value in form.items() if value}


def parse_basic_credentials(header: str) -> tuple[str, str] | None:
    """The client id and secret of an `Authorization: Basic ...` header, or None when the
    header uses another scheme; an error when it is Basic but malformed."""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except ValueError as exc:  # binascii.Error, non-ASCII text, bad UTF-8
        raise TokenRequestError("the Basic credentials are not valid base64 UTF-8") from exc
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise TokenRequestError("the Basic credentials need a colon between id and secret")
    client_id, secret = unquote_plus(client_id), unquote_plus(secret)
    if "\x00" in client_id + secret:
        raise TokenRequestError("the Basic credentials hold a NUL character")
    return client_id, secret
