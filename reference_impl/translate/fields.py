"""Validators for the fields of the smaller JSON endpoints. Pure.

Each returns the value or raises :class:`~reference_impl.translate.errors.RequestError` (a 400
naming the field and what it got), so a malformed request is never a 500.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from .errors import RequestError, json_kind, type_error

__all__ = [
    "b64_bytes",
    "choice",
    "model_id",
    "number",
    "object_body",
    "opt_int",
    "opt_str",
    "req_str",
    "str_list",
]

_D = TypeVar("_D", int, None)

_MODEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,127}$")
_DATA_URL_RE = re.compile(r"^data:([\w.+\-]+/[\w.+\-]+)?(?:;[^;,]*)*?;base64,", re.ASCII)


def object_body(body: object) -> dict[str, Any]:
    """``body`` when it is a JSON object; else a 400."""
    if not isinstance(body, dict):
        raise RequestError(
            f"the request body must be a JSON object; got {json_kind(body)}",
            param=None,
            code="invalid_type",
        )
    return body


def req_str(body: Mapping[str, Any], key: str) -> str:
    """A required non-empty string."""
    value = body.get(key)
    if value is None:
        raise RequestError(f"{key} is required", param=key, code="missing_required_parameter")
    if not isinstance(value, str) or not value.strip():
        raise type_error(key, "a non-empty string", value)
    return value


def opt_str(body: Mapping[str, Any], key: str, default: str) -> str:
    """An optional string (``default`` when absent or null)."""
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise type_error(key, "a string", value)
    return value


def choice(body: Mapping[str, Any], key: str, allowed: Sequence[str], default: str) -> str:
    """An optional string that must be one of ``allowed``."""
    value = opt_str(body, key, default)
    if value not in allowed:
        raise RequestError(f"{key} must be one of {', '.join(allowed)}; got {value!r}", param=key)
    return value


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""The integers a JSON request may carry here: OpenAI's own bounds (``seed``), and what
the upstream request's JSON encoder (orjson) can write (a larger one was a 500)."""


def opt_int(
    body: Mapping[str, Any],
    key: str,
    default: _D,
    lo: int | None = None,
    hi: int | None = None,
) -> int | _D:
    """An optional integer within ``[lo, hi]`` (either bound ``None``: open; always within
    64 bits); ``default`` when absent or null. An integral float (``8.0``, which JSON
    Schema's ``integer`` admits) counts as the integer."""
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise type_error(key, "an integer", value)
    low = INT64_MIN if lo is None else lo
    high = INT64_MAX if hi is None else hi
    if not low <= value <= high:
        if hi is None and lo is not None and value < lo:
            raise RequestError(f"{key} must be >= {lo}; got {value}", param=key)
        if lo is None and hi is None:
            raise RequestError(f"{key} must be a 64-bit integer; got {value}", param=key)
        raise RequestError(f"{key} must be in [{low}, {high}]; got {value}", param=key)
    return value


def number(body: Mapping[str, Any], key: str, default: float, lo: float, hi: float) -> float:
    """An optional number within ``[lo, hi]``."""
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise type_error(key, "a number", value)
    if not lo <= value <= hi:
        raise RequestError(f"{key} must be in [{lo}, {hi}]; got {value}", param=key)
    return float(value)


def str_list(body: Mapping[str, Any], key: str, *, max_items: int) -> list[str]:
    """A required non-empty array of non-empty strings, at most ``max_items`` long."""
    value = body.get(key)
    if value is None:
        raise RequestError(f"{key} is required", param=key, code="missing_required_parameter")
    if not isinstance(value, list) or not value:
        raise type_error(key, "a non-empty array of strings", value)
    if len(value) > max_items:
        raise RequestError(f"{key} has {len(value)} items; at most {max_items}", param=key)
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise type_error(f"{key}[{i}]", "a non-empty string", item)
    return value


def model_id(body: Mapping[str, Any], default: str | None, key: str = "model") -> str:
    """A Gemini model id (``models/`` removed), or ``default`` when absent."""
    value = body.get(key)
    if value is None:
        if default is None:
            raise RequestError(f"{key} is required", param=key, code="missing_required_parameter")
        return default
    if not isinstance(value, str):
        raise type_error(key, "a string", value)
    value = value.removeprefix("models/")
    if not _MODEL_RE.match(value):
        raise RequestError(f"{key} is not a valid model id: {value!r}", param=key)
    return value


def b64_bytes(value: object, param: str) -> tuple[bytes, str | None]:
    """Decoded base64 with or without a ``data:<mime>;base64,`` prefix, and that MIME
    type (``None`` without a prefix)."""
    if not isinstance(value, str) or not value:
        raise type_error(param, "a base64 string", value)
    mime: str | None = None
    m = _DATA_URL_RE.match(value)
    if m:
        mime = m.group(1)
        value = value[m.end() :]
    elif value.startswith("data:"):
        raise RequestError(f"{param} must be a base64 data: URL", param=param)
    try:
        data = base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError):
        raise RequestError(f"{param} is not valid base64", param=param) from None
    if not data:
        raise RequestError(f"{param} is empty", param=param)
    return data, mime
