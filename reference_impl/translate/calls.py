"""Gemini ``functionCall`` parts -> OpenAI tool-call deltas, whole or streamed. Pure.

A Gemini answer carries a function call in one of two shapes (docs/gemini-wire.md A2,
A3):

- **whole**: one part ``{"functionCall": {"name", "args"?, "id"?}, "thoughtSignature"?}``.
  A call without ``args`` (a function with no parameters) has arguments ``{}``.
- **streamed arguments** (Vertex AI / Code Assist with
  ``toolConfig.functionCallingConfig.streamFunctionCallArguments``; Gemini 3.1 as
  recorded in ``spec/captures/google-stream-tool-call-arguments``): a part
  ``{"functionCall": {"name", "willContinue": true}, "thoughtSignature"}`` opens the
  call; following parts ``{"functionCall": {"partialArgs": [...], "willContinue":
  true}}`` carry pieces; the first nameless part without ``willContinue: true`` (the
  recorded stream sends an empty ``functionCall: {}``) closes it. Each piece is a
  ``PartialArg`` (https://cloud.google.com/vertex-ai/generative-ai/docs/reference/rest/v1/Content#PartialArg):
  ``jsonPath`` (RFC 9535, e.g. ``$.location``, ``$.a.b[0]``, ``$['key']``) and one of
  ``stringValue`` / ``numberValue`` / ``boolValue`` / ``nullValue``; a piece with
  ``willContinue: true`` announces more pieces for the same path, and a string piece
  that follows one is appended to the string so far (``"Boston"`` then ``""`` gives
  ``"Boston"``); any other piece sets the value. Containers on the path are created
  (an object for a name, an array for an index). A ``numberValue`` with an integral
  value becomes a JSON integer (what the whole form carries for the same call). A
  piece whose path this module cannot read (wildcards, filters, slices) is skipped.

:class:`CallAssembler` turns one choice's function-call parts, in order, into OpenAI
tool-call deltas (docs/openai-wire.md B1): one ``index`` per call (0, 1, 2...); a whole
call is one delta ``{"index", "id", "type", "function": {"name", "arguments"}}``; a
streamed call is a first delta with ``id``, ``type``, ``name`` and ``arguments: ""``
when it opens, then one delta ``{"index", "function": {"arguments"}}`` with the whole
arguments JSON text when it closes (so the concatenation always parses to the
assembled object). The ``thoughtSignature`` rides in ``extra_content.google.
thought_signature`` of the delta that first knows it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import orjson

__all__ = ["CallAssembler", "apply_partial_args", "parse_json_path"]

_NAME = re.compile(r"[^.\[\]\s]+")
_INDEX = re.compile(r"\[(\d+)\]")
_QUOTED = re.compile(r"""\[\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\]""")
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "/": "/", "\\": "\\"}

Segment = str | int
"""One step of a path: an object member name or an array index."""


def _unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "\\" or i + 1 >= len(text):
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "u" and i + 6 <= len(text):
            try:
                out.append(chr(int(text[i + 2 : i + 6], 16)))
            except ValueError:
                out.append(text[i : i + 6])
            i += 6
            continue
        out.append(_ESCAPES.get(nxt, nxt))
        i += 2
    # a surrogate pair written as two \u escapes becomes its one character
    return "".join(out).encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def parse_json_path(path: object) -> list[Segment] | None:
    """The segments of a singular RFC 9535 query (``$`` then ``.name``, ``['name']``,
    ``["name"]``, ``[N]``), e.g. ``"$.a['b c'][0]"`` -> ``["a", "b c", 0]``; ``None``
    for anything else (not a string, no leading ``$``, wildcards, filters, slices,
    negative indexes, the root itself)."""
    if not isinstance(path, str) or not path.startswith("$"):
        return None
    segments: list[Segment] = []
    pos = 1
    end = len(path)
    while pos < end:
        ch = path[pos]
        if ch == ".":
            m = _NAME.match(path, pos + 1)
            if m is None or m.group() == "*":
                return None
            segments.append(m.group())
            pos = m.end()
        elif ch == "[":
            m = _INDEX.match(path, pos)
            if m is not None:
                segments.append(int(m.group(1)))
                pos = m.end()
                continue
            m = _QUOTED.match(path, pos)
            if m is None:
                return None
            single, double = m.group(1), m.group(2)
            segments.append(_unescape(single if single is not None else double))
            pos = m.end()
        else:
            return None
    return segments or None


def _value(piece: dict[str, Any]) -> tuple[bool, Any]:
    """``(found, value)`` of a PartialArg."""
    if "stringValue" in piece:
        value = piece["stringValue"]
        return isinstance(value, str), value
    if "numberValue" in piece:
        number = piece["numberValue"]
        if isinstance(number, bool) or not isinstance(number, int | float):
            return False, None
        if isinstance(number, float) and number.is_integer() and abs(number) < 2**53:
            number = int(number)
        return True, number
    if "boolValue" in piece:
        flag = piece["boolValue"]
        return isinstance(flag, bool), flag
    if "nullValue" in piece:
        return True, None
    return False, None


def _container(segment: Segment) -> Any:
    return [] if isinstance(segment, int) else {}


def apply_partial_args(
    target: dict[str, Any], pieces: object, continuing: set[str] | None = None
) -> None:
    """Apply ``pieces`` (a ``partialArgs`` list) to ``target`` in place, by the rules
    of the module docstring. ``continuing``: the paths whose last piece said
    ``willContinue`` (updated; one set per call). Malformed pieces are skipped."""
    if not isinstance(pieces, list):
        return
    if continuing is None:
        continuing = set()
    for piece in pieces:
        if not isinstance(piece, dict):
            continue
        raw_path = piece.get("jsonPath")
        segments = parse_json_path(raw_path)
        found, value = _value(piece)
        if segments is None or not found:
            continue
        assert isinstance(raw_path, str)
        node: Any = target
        for segment, nxt in pairwise(segments):
            node = _step(node, segment, nxt)
            if node is None:
                break
        else:
            last = segments[-1]
            appending = raw_path in continuing and isinstance(value, str)
            _set(node, last, value, appending)
        if piece.get("willContinue") is True:
            continuing.add(raw_path)
        else:
            continuing.discard(raw_path)


def _step(node: Any, segment: Segment, nxt: Segment) -> Any:
    """The child of ``node`` at ``segment`` (created for ``nxt``), or ``None`` when the
    path crosses a scalar or mixes names and indexes."""
    if isinstance(segment, int):
        if not isinstance(node, list):
            return None
        while len(node) <= segment:
            node.append(None)
        child = node[segment]
        if not isinstance(child, dict | list):
            child = node[segment] = _container(nxt)
        return child
    if not isinstance(node, dict):
        return None
    child = node.get(segment)
    if not isinstance(child, dict | list):
        child = node[segment] = _container(nxt)
    return child


def _set(node: Any, key: Segment, value: Any, appending: bool) -> None:
    if isinstance(key, int):
        if not isinstance(node, list):
            return
        while len(node) <= key:
            node.append(None)
        old = node[key]
        node[key] = old + value if appending and isinstance(old, str) else value
    elif isinstance(node, dict):
        old = node.get(key)
        node[key] = old + value if appending and isinstance(old, str) else value


class _Open:
    """A streamed call between its opening part and its closing part."""

    __slots__ = ("args", "continuing", "index", "signature", "signed")

    def __init__(self, index: int, args: dict[str, Any], signature: str | None) -> None:
        self.index = index
        self.args = args
        self.continuing: set[str] = set()
        self.signature = signature
        self.signed = signature is not None
        """Whether the signature went out on a delta already."""


def _signature(part: dict[str, Any]) -> str | None:
    sig = part.get("thoughtSignature")
    return sig if isinstance(sig, str) and sig else None


def _signed(delta: dict[str, Any], signature: str | None) -> dict[str, Any]:
    if signature is not None:
        delta["extra_content"] = {"google": {"thought_signature": signature}}
    return delta


class CallAssembler:
    """One choice's function calls. Feed every ``functionCall`` part in order with
    :meth:`part`; call :meth:`close` when the choice finishes (a call still open is
    closed with what arrived). Both return tool-call deltas (see the module
    docstring). ``count``: calls started so far. ``new_id``: a fresh tool call id for a
    call Gemini gave no ``id``."""

    __slots__ = ("_open", "count", "new_id")

    def __init__(self, new_id: Callable[[], str]) -> None:
        self.new_id = new_id
        self.count = 0
        self._open: _Open | None = None

    def part(self, part: dict[str, Any]) -> list[dict[str, Any]]:
        """The deltas for one part that has a ``functionCall`` key (``[]`` for a part
        that only continues a call, or an empty ``functionCall`` with no call open)."""
        fc = part.get("functionCall")
        if not isinstance(fc, dict):
            return []
        name = fc.get("name")
        current = self._open
        if current is not None and not name:
            return self._continue(current, fc, part)
        out = self.close() if current is not None else []
        if not name and not fc.get("args") and not fc.get("id") and "partialArgs" not in fc:
            return out  # a stray closing ``{}`` (or an empty call): nothing to call
        call_id = fc.get("id")
        if not isinstance(call_id, str) or not call_id:
            call_id = self.new_id()
        args = fc.get("args")
        streamed = fc.get("willContinue") is True or "partialArgs" in fc
        index = self.count
        self.count += 1
        if not streamed:
            text = orjson.dumps(args if isinstance(args, dict) else {}).decode()
            out.append(_signed(_first(index, call_id, name, text), _signature(part)))
            return out
        assembled: dict[str, Any] = dict(args) if isinstance(args, dict) else {}
        sig = _signature(part)
        opened = self._open = _Open(index, assembled, sig)
        apply_partial_args(assembled, fc.get("partialArgs"), opened.continuing)
        out.append(_signed(_first(index, call_id, name, ""), sig))
        if fc.get("willContinue") is not True:
            out.extend(self.close())
        return out

    def _continue(
        self, current: _Open, fc: dict[str, Any], part: dict[str, Any]
    ) -> list[dict[str, Any]]:
        args = fc.get("args")
        if isinstance(args, dict):
            current.args.update(args)
        apply_partial_args(current.args, fc.get("partialArgs"), current.continuing)
        if current.signature is None:
            current.signature = _signature(part)
        if fc.get("willContinue") is True:
            return []
        return self.close()

    def close(self) -> list[dict[str, Any]]:
        """The closing delta of the open streamed call (its whole arguments text), or
        ``[]`` when no call is open."""
        current = self._open
        if current is None:
            return []
        self._open = None
        delta: dict[str, Any] = {
            "index": current.index,
            "function": {"arguments": orjson.dumps(current.args).decode()},
        }
        return [_signed(delta, None if current.signed else current.signature)]

    @property
    def open(self) -> bool:
        """Whether a streamed call is waiting for its closing part."""
        return self._open is not None


def _first(index: int, call_id: str, name: object, arguments: str) -> dict[str, Any]:
    return {
        "index": index,
        "id": call_id,
        "type": "function",
        "function": {"name": str(name or ""), "arguments": arguments},
    }
