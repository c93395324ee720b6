"""SSE decoder throughput: ``spec.sse.SSEDecoder`` vs httpx-sse's decoder pipeline.

Both decode the same bytes, fed in the same pieces: a realistic OpenAI chat stream (chunks
of ~200 bytes, LF framing) and Gemini's CRLF framing, cut into network-sized reads (1 KiB,
16 KiB) and one read per event. httpx-sse's pipeline is what ``EventSource.iter_sse``
runs: incremental UTF-8 decoding (``iter_text``), ``SSELineDecoder`` and
``SSEDecoder.decode`` per line. Prints events/s and the ratio against the goal (issue 16:
at least :data:`GOAL` times httpx-sse in every read pattern), PASS or FAIL per line;
best of ``--repeat``.

    python -m bench.sse_decoder [--events 5000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import codecs
import json
import time
from collections.abc import Callable

from spec.sse import SSEDecoder

GOAL = 2.0
"""The speed-up over httpx-sse each read pattern must reach (issue 16)."""


def openai_stream(events: int) -> bytes:
    out = []
    for i in range(events):
        chunk = {
            "id": "chatcmpl-9d2f0c",
            "object": "chat.completion.chunk",
            "created": 1767225600,
            "model": "gemini-2.5-flash",
            "choices": [
                {"index": 0, "delta": {"content": f"word {i} café 東京 "}, "finish_reason": None}
            ],
        }
        out.append(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n")
    out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def gemini_stream(events: int) -> bytes:
    out = []
    for i in range(events):
        body = (
            '{"candidates": [{"content": {"parts": [{"text": "word ' + str(i) + ' "}],'
            '"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 11,'
            '"totalTokenCount": ' + str(11 + i) + '},"modelVersion": "gemini-2.5-flash",'
            '"responseId": "yFWYabnBB8Wg1e8P3ZTdiAY"}'
        )
        out.append(f"data: {body}\r\n\r\n")
    return "".join(out).encode()


def split(raw: bytes, size: int) -> list[bytes]:
    return [raw[i : i + size] for i in range(0, len(raw), size)]


def per_event(raw: bytes, sep: bytes) -> list[bytes]:
    parts = raw.split(sep)
    return [p + sep for p in parts[:-1]]


def ours(pieces: list[bytes]) -> int:
    decoder = SSEDecoder()
    n = 0
    for piece in pieces:
        n += len(decoder.feed(piece))
    return n + len(decoder.close())


def httpx_sse_pipeline(pieces: list[bytes]) -> int:
    from httpx_sse._decoders import SSEDecoder as HxDecoder
    from httpx_sse._decoders import SSELineDecoder

    text_decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    lines = SSELineDecoder()
    decoder = HxDecoder()
    n = 0
    for piece in pieces:
        text = text_decoder.decode(piece)
        if not text:
            continue
        for line in lines.decode(text):
            if decoder.decode(line.rstrip("\n")) is not None:
                n += 1
    for line in lines.flush():
        if decoder.decode(line) is not None:
            n += 1
    return n


def best(fn: Callable[[list[bytes]], int], pieces: list[bytes], repeat: int) -> tuple[float, int]:
    times = []
    count = 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = fn(pieces)
        times.append(time.perf_counter() - start)
    return min(times), count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    streams = {
        "openai (LF)": (openai_stream(args.events), b"\n\n"),
        "gemini (CRLF)": (gemini_stream(args.events), b"\r\n\r\n"),
    }
    head = f"{'stream':<15} {'reads':<10} {'spec.sse ev/s':>15} {'httpx-sse ev/s':>15} {'ratio':>7}"
    print(f"{head}  goal >= {GOAL:.1f}x")
    ratios = []
    for name, (raw, sep) in streams.items():
        for label, pieces in (
            ("1 KiB", split(raw, 1024)),
            ("16 KiB", split(raw, 16384)),
            ("per event", per_event(raw, sep)),
        ):
            t_ours, n_ours = best(ours, pieces, args.repeat)
            t_hx, n_hx = best(httpx_sse_pipeline, pieces, args.repeat)
            assert n_ours == n_hx, (n_ours, n_hx)
            ratio = t_hx / t_ours
            ratios.append(ratio)
            rates = f"{n_ours / t_ours:>15,.0f} {n_hx / t_hx:>15,.0f}"
            verdict = "PASS" if ratio >= GOAL else "FAIL"
            print(f"{name:<15} {label:<10} {rates} {ratio:>6.2f}x  {verdict}")
    print(f"geometric mean speed-up: {_geomean(ratios):.2f}x")
    failed = sum(r < GOAL for r in ratios)
    print(f"{len(ratios) - failed}/{len(ratios)} read patterns at or above {GOAL:.1f}x")


def _geomean(values: list[float]) -> float:
    product = 1.0
    for v in values:
        product *= v
    return float(product ** (1 / len(values)))


if __name__ == "__main__":
    main()
