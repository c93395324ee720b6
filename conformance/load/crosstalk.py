"""``load.cross_talk``: an answer that carries another request's id or content. Pure.

Concurrent requests must not share buffers: a proxy that keeps "the current request" in
a global, or reuses a stream writer, sends one client's chunks to another. Three signs,
each naming the other request (docs/checks/load.md#loadcross_talk):

- a stream whose chunks carry more than one completion ``id``, one of them another
  answer's;
- controlled mode: an answer whose text is not what the mock sent for its own
  correlation id (the mock's text is seeded by the request, so every request gets its
  own) and that carries words the mock sent for another one (a run of
  :data:`SHINGLE` words no other explanation shares);
- black-box mode: the prompt asks the model to begin with a nonce; an answer that
  carries another request's nonce.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from ..checks.upstream import client_texts, generate_calls
from ..registry import Severity, Undecided, excerpt
from .base import LoadFailure, LoadRun, load_check
from .record import NONCE_PREFIX
from .wire import Recorded

__all__ = ["SHINGLE", "completion_ids", "shingles", "upstream_text"]

SHINGLE = 4
"""Words in a run that attributes an answer's text to another request."""
_WS = re.compile(r"\s+")
_NONCE = re.compile(re.escape(NONCE_PREFIX) + r"[0-9a-f]{12}")


def shingles(text: str) -> set[tuple[str, ...]]:
    """The runs of :data:`SHINGLE` consecutive words of ``text`` (the whole text when it
    has fewer words; empty for an empty text)."""
    words = text.split()
    if len(words) < SHINGLE:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)}


def upstream_text(item: Recorded) -> str | None:
    """The text the mock sent (candidate 0) for the answer's last successful generate
    call, from its journal; ``None`` when there is none or no text."""
    for call in reversed(generate_calls(item.exchange)):
        status = call.get("status")
        answer = call.get("response")
        if isinstance(status, int) and 200 <= status < 300 and isinstance(answer, dict):
            text = answer.get("text")
            return text if isinstance(text, str) and text.strip() else None
    return None


def completion_ids(item: Recorded) -> list[str]:
    """The distinct completion ``id`` values of a 200 answer, in order of appearance."""
    x = item.exchange
    if x.status != 200:
        return []
    chunks: list[Any]
    try:
        chunks = list(x.sse.chunks) if x.content_type == "text/event-stream" else [x.json()]
    except ValueError:
        return []
    seen: dict[str, None] = {}
    for chunk in chunks:
        if isinstance(chunk, dict) and isinstance(chunk.get("id"), str):
            seen.setdefault(chunk["id"], None)
    return list(seen)


def _squeeze(text: str) -> str:
    return _WS.sub("", text)


def _own(got: str, own: str) -> bool:
    """``got`` is the upstream's text ``own``, whitespace aside (containing it, or a
    prefix of it: a stop sequence), as ``chat.*`` judges it."""
    g, o = _squeeze(got), _squeeze(own)
    return o in g or (bool(g) and o.startswith(g))


def _mixed_ids(items: Sequence[Recorded]) -> list[tuple[Recorded, str]]:
    owner: dict[str, str] = {}
    ids_of: dict[str, list[str]] = {}
    for item in items:
        ids = completion_ids(item)
        ids_of[item.cid] = ids
        if ids:
            owner.setdefault(ids[0], item.cid)
    found = []
    for item in items:
        ids = ids_of[item.cid]
        foreign = [(i, owner[i]) for i in ids[1:] if owner.get(i, item.cid) != item.cid]
        if foreign:
            other_id, other = foreign[0]
            found.append(
                (
                    item,
                    f"the stream for {item.cid} carries {len(ids)} completion ids: its own "
                    f"{ids[0]!r} and {other_id!r}, the id of the answer to {other}",
                )
            )
    return found


def _index(texts: Mapping[str, str]) -> dict[tuple[str, ...], set[str]]:
    index: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for cid, text in texts.items():
        for s in shingles(text):
            index[s].add(cid)
    return index


def _foreign_text(
    items: Sequence[Recorded],
) -> tuple[list[tuple[Recorded, str]], int, int]:
    """Answers carrying another request's upstream text; how many were compared; how
    many differ from their own upstream text without another's words."""
    texts = {i.cid: t for i in items if (t := upstream_text(i)) is not None}
    compared, unexplained = 0, 0
    found: list[tuple[Recorded, str]] = []
    index: dict[tuple[str, ...], set[str]] | None = None
    for item in items:
        own = texts.get(item.cid)
        if own is None or item.exchange.status != 200:
            continue
        got = client_texts(item.exchange).get(0, "")
        compared += 1
        if _own(got, own):
            continue
        index = index if index is not None else _index(texts)
        votes: Counter[str] = Counter()
        for s in shingles(got) - shingles(own):
            votes.update(c for c in index.get(s, ()) if c != item.cid)
        if not votes:
            unexplained += 1
            continue
        other, _ = votes.most_common(1)[0]
        found.append(
            (
                item,
                f"the answer to {item.cid} is {excerpt(got, 160)!r}; the upstream sent "
                f"{excerpt(own, 160)!r} for it and {excerpt(texts[other], 160)!r} for {other}",
            )
        )
    return found, compared, unexplained


def _foreign_nonces(items: Sequence[Recorded]) -> tuple[list[tuple[Recorded, str]], int]:
    """Answers carrying another request's nonce; how many answers repeated their own."""
    owner = {i.nonce: i.cid for i in items if i.nonce}
    found: list[tuple[Recorded, str]] = []
    echoed = 0
    for item in items:
        if not item.nonce or item.exchange.status != 200:
            continue
        text = client_texts(item.exchange).get(0, "")
        nonces = set(_NONCE.findall(text))
        echoed += item.nonce in nonces
        foreign = sorted(n for n in nonces if n != item.nonce and n in owner)
        if foreign:
            found.append(
                (
                    item,
                    f"the answer to {item.cid} (nonce {item.nonce}) carries {foreign[0]}, "
                    f"the nonce of {owner[foreign[0]]}: {excerpt(text, 200)!r}",
                )
            )
    return found, echoed


def _fail(found: dict[str, list[tuple[Recorded, str]]], total: int) -> None:
    """Raise one failure for every sign found (``found``: sign -> answers and details)."""
    hits = [hit for hits in found.values() for hit in hits]
    if not hits:
        return
    item, detail = hits[0]
    carriers = len({i.cid for i, _ in hits})
    signs = ", ".join(f"{len(v)} by {k}" for k, v in found.items() if v)
    raise LoadFailure(
        f"{carriers} of {total} answers carry another request's id or content ({signs}); "
        f"first: {detail}",
        item=item,
        excerpt="\n".join(d for hits in found.values() for _, d in hits[:3]),
        cause="cross-talk between concurrent requests",
    )


@load_check(
    "load.cross_talk",
    title="No answer carries another concurrent request's id or content",
    severity=Severity.CRITICAL,
    source="docs/checks/load.md#loadcross_talk; docs/load.md",
)
def cross_talk(run: LoadRun) -> str | None:
    items = run.items
    found = {"completion id": _mixed_ids(items)}
    if run.controlled:
        found["upstream text"], compared, unexplained = _foreign_text(items)
        _fail(found, len(items))
        if not compared:
            raise Undecided("no successful answer had a text in the mock's journal to compare")
        note = f"{compared} answers hold exactly their own upstream text"
        if unexplained:
            note = (
                f"{compared - unexplained} of {compared} answers hold their own upstream "
                f"text; {unexplained} differ without another request's words (chat.* judges "
                "them)"
            )
        return note
    found["nonce"], echoed = _foreign_nonces(items)
    _fail(found, len(items))
    if not echoed:
        raise Undecided(
            "no answer repeated its nonce (the model ignored the request), so the answers' "
            "content cannot be told apart; the completion ids were not mixed"
        )
    return f"{echoed} answers repeated their own nonce and none another's; no stream mixed ids"
