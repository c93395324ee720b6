"""Recorded load exchanges as JSON, and the spool file of them (one JSON object a line).

A :class:`Recorded` is an :class:`~conformance.exchange.Exchange` plus what only a load
run knows: its correlation id, the worker that sent it (``source``, a host name: the
documented per-IP limits are per client address) and the nonce its prompt carried.
Bytes travel as base64 so a line is plain JSON whatever the body holds. Pure apart from
:func:`read_spool` and :func:`append`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..exchange import Exchange, Request

__all__ = ["Recorded", "append", "from_json", "read_spool", "to_json"]


@dataclass(frozen=True, slots=True)
class Recorded:
    """One answer of a load run: ``exchange`` (``exchange.probe`` names the probe),
    ``cid`` its correlation id, ``source`` the sending worker's host, ``nonce`` the
    nonce its prompt asked the model to repeat (``None``: none, controlled mode)."""

    exchange: Exchange
    cid: str
    source: str = ""
    nonce: str | None = None


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes | None:
    return None if text is None else base64.b64decode(str(text))


def to_json(item: Recorded) -> dict[str, Any]:
    """``item`` as a JSON object (the journal, node replays and ``previous`` turns are not
    kept: load exchanges have one turn and get their journal afterwards)."""
    x = item.exchange
    r = x.request
    return {
        "cid": item.cid,
        "source": item.source,
        "nonce": item.nonce,
        "probe": x.probe,
        "request": {
            "method": r.method,
            "url": r.url,
            "headers": dict(r.headers),
            "body": _b64(r.body),
            "json": r.json_body,
        },
        "status": x.status,
        "headers": [list(h) for h in x.headers],
        "chunks": [[t, _b64(piece)] for t, piece in x.chunks],
        "transport_error": x.transport_error,
        "elapsed_s": x.elapsed_s,
        "truncated": x.truncated,
        "declared_length": x.declared_length,
        "received_bytes": x.received_bytes,
        "framing": x.framing,
        "started_at": x.started_at,
        "deadline_s": x.deadline_s,
    }


def from_json(data: Mapping[str, Any]) -> Recorded:
    """The :class:`Recorded` of :func:`to_json`'s object. Raises ``ValueError`` naming
    the missing or bad field."""
    try:
        r = data["request"]
        request = Request(
            method=str(r["method"]),
            url=str(r["url"]),
            headers={str(k): str(v) for k, v in dict(r["headers"]).items()},
            body=_unb64(r.get("body")),
            json_body=r.get("json"),
        )
        exchange = Exchange(
            probe=str(data["probe"]),
            request=request,
            status=data["status"],
            headers=tuple((str(k), str(v)) for k, v in data["headers"]),
            chunks=tuple((float(t), _unb64(p) or b"") for t, p in data["chunks"]),
            transport_error=data.get("transport_error"),
            elapsed_s=float(data["elapsed_s"]),
            truncated=bool(data.get("truncated")),
            declared_length=data.get("declared_length"),
            received_bytes=data.get("received_bytes"),
            framing=data.get("framing") or "",
            started_at=float(data.get("started_at") or 0.0),
            deadline_s=data.get("deadline_s"),
        )
        return Recorded(
            exchange, str(data["cid"]), str(data.get("source") or ""), data.get("nonce")
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a recorded load exchange: {type(exc).__name__}: {exc}") from None


def append(stream: IO[str], item: Mapping[str, Any]) -> None:
    """Write one recorded exchange (:func:`to_json`'s object) as a line."""
    stream.write(json.dumps(item, separators=(",", ":")) + "\n")


def read_spool(path: Path) -> Iterator[Recorded]:
    """The exchanges of a spool file, in the order they were written. A last line cut
    short (the engine was killed mid-write) is ignored; another bad line raises
    ``ValueError`` naming its number."""
    with path.open(encoding="utf-8") as stream:
        lines = stream.readlines()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(lines) and not line.endswith("\n"):
                return
            raise ValueError(f"{path}:{number}: {exc}") from None
        yield from_json(data)
