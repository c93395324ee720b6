"""Image output, text-to-speech and Imagen ``:predict`` (docs/gemini-wire.md A6), pure.

**Image output.** ``generationConfig.responseModalities`` containing ``IMAGE`` on an
image model (:attr:`~mockserver.catalog.ModelInfo.image`; with no modalities an image
model answers TEXT and IMAGE, as Google's do) gives the usual text deltas followed by
one part ``{"inlineData": {"mimeType": "image/png", "data": <base64 PNG>}}`` (with
``["IMAGE"]`` alone, only the image). The PNG is a 64-pixel gradient drawn from the
request hash (:func:`mockserver.media.gradient_png`); ``imageConfig.aspectRatio``
shapes it (the longer side stays 64). It counts :data:`IMAGE_TOKENS` tokens.

**TTS.** A TTS model (:attr:`~mockserver.catalog.ModelInfo.tts`) answers only
``responseModalities: ["AUDIO"]``: ``inlineData`` parts of ``audio/L16;codec=pcm;
rate=24000``, 16-bit LE mono PCM with one 0.25 s tone per word of the last user text
(directives removed; at least 1 word, at most :data:`MAX_SPOKEN_WORDS`), split over
``chunks`` stream parts (the unary part is their concatenation). Each voice has its own
pitch (:func:`mockserver.media.voice_frequency`): ``speechConfig.voiceConfig.
prebuiltVoiceConfig.voiceName`` (default :data:`DEFAULT_VOICE`), or with
``multiSpeakerVoiceConfig`` the voice of the speaker named at the start of a line
(``Joe: ...``). Audio counts :data:`AUDIO_TOKENS_PER_SECOND` tokens per second.

Other combinations are Google's 400 (:func:`mockserver.errors.unsupported_modalities`).

**Imagen.** :func:`predict_body`: ``{"instances": [{"prompt"}], "parameters":
{"sampleCount": 1..4 (default 4), "aspectRatio"}}`` -> ``{"predictions":
[{"bytesBase64Encoded", "mimeType": "image/png"}, ...]}``, one distinct PNG per sample.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from mockserver import errors, media
from mockserver.catalog import ModelInfo
from mockserver.framing import pretty
from mockserver.plans import Piece, Plan, text_plan
from mockserver.request import contents_of, get
from spec.scenarios import strip_directives
from spec.wire import Part

__all__ = [
    "AUDIO_TOKENS_PER_SECOND",
    "DEFAULT_VOICE",
    "IMAGEN_RATIOS",
    "IMAGE_RATIOS",
    "IMAGE_TOKENS",
    "MAX_SPOKEN_WORDS",
    "VOICES",
    "image_size",
    "media_plan",
    "predict_body",
    "response_modalities",
]

IMAGE_TOKENS = 1290
"""Output tokens per generated image (Google's figure for images up to 1024x1024)."""
AUDIO_TOKENS_PER_SECOND = 32
MAX_SPOKEN_WORDS = 480
"""Longest TTS answer in words (2 minutes)."""
VOICES: tuple[str, ...] = (
    "Zephyr", "Puck", "Charon", "Kore", "Fenrir", "Leda", "Orus", "Aoede", "Callirrhoe",
    "Autonoe", "Enceladus", "Iapetus", "Umbriel", "Algieba", "Despina", "Erinome",
    "Algenib", "Rasalgethi", "Laomedeia", "Achernar", "Alnilam", "Schedar", "Gacrux",
    "Pulcherrima", "Achird", "Zubenelgenubi", "Vindemiatrix", "Sadachbia", "Sadaltager",
    "Sulafat",
)  # fmt: skip
"""The prebuilt voice names; any other ``voiceName`` is a 400."""
DEFAULT_VOICE = "Kore"
IMAGE_RATIOS = frozenset({"1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"})
IMAGEN_RATIOS = frozenset({"1:1", "3:4", "4:3", "9:16", "16:9"})
_SIDE = 64
_BY_NAME = {v.lower(): (i, v) for i, v in enumerate(VOICES)}
_SECONDS_PER_WORD = media.SEGMENT_SAMPLES / media.SAMPLE_RATE
_TOKENS_PER_WORD = round(AUDIO_TOKENS_PER_SECOND * _SECONDS_PER_WORD)
_VOICE_PATH = "generation_config.speech_config"


def response_modalities(body: dict[str, Any]) -> list[str]:
    """``generationConfig.responseModalities`` upper-cased, in order, without repeats
    and without ``MODALITY_UNSPECIFIED`` (``[]`` when unset)."""
    config = get(body, "generationConfig")
    mods = get(config, "responseModalities") if isinstance(config, dict) else None
    out: list[str] = []
    for mod in mods if isinstance(mods, list) else ():
        name = str(mod).upper()
        if name != "MODALITY_UNSPECIFIED" and name not in out:
            out.append(name)
    return out


def image_size(ratio: Any, allowed: frozenset[str], path: str) -> tuple[int, int]:
    """``(width, height)`` in pixels for an aspect ratio ``"W:H"`` (``None``: square).

    The longer side is 64 pixels. Raises GoogleError 400 naming ``path`` when the ratio
    is not one of ``allowed``.
    """
    if ratio is None:
        return _SIDE, _SIDE
    if not isinstance(ratio, str) or ratio not in allowed:
        raise errors.invalid_argument(
            f"* {path}: aspect ratio {ratio!r} is not supported; use one of "
            f"{', '.join(sorted(allowed))}\n"
        )
    w, h = (int(n) for n in ratio.split(":"))
    if w >= h:
        return _SIDE, max(1, round(_SIDE * h / w))
    return max(1, round(_SIDE * w / h)), _SIDE


def _sub_key(key: bytes, label: bytes) -> bytes:
    return hashlib.blake2b(key, digest_size=32, person=label.ljust(16, b"\0")[:16]).digest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _image_plan(body: dict[str, Any], key: bytes, chunks: int, text: bool, signed: bool) -> Plan:
    config = get(body, "generationConfig") or {}
    image_config = get(config, "imageConfig") or {}
    width, height = image_size(
        get(image_config, "aspectRatio"), IMAGE_RATIOS, "generation_config.image_config"
    )
    png = media.gradient_png(_sub_key(key, b"image"), width, height)
    part: Part = {"inlineData": {"mimeType": "image/png", "data": _b64(png)}}
    if signed:
        part["thoughtSignature"] = _b64(_sub_key(key, b"image-signature"))
    pieces = list(text_plan(key, chunks=chunks, max_tokens=None).pieces) if text else []
    pieces.append(Piece(part, 3, candidates=IMAGE_TOKENS, modality="IMAGE"))
    summary = {"mime_type": "image/png", "width": width, "height": height, "bytes": len(png)}
    return Plan(tuple(pieces), "STOP", media=(summary,))


def _voice(config: Any, path: str) -> str:
    prebuilt = get(get(config, "voiceConfig") or {}, "prebuiltVoiceConfig") or {}
    name = get(prebuilt, "voiceName")
    if name is None:
        return DEFAULT_VOICE
    found = _BY_NAME.get(str(name).lower())
    if found is None:
        raise errors.invalid_argument(
            f"* GenerateContentRequest.{path}.voice_config.prebuilt_voice_config.voice_name: "
            f"voice {name!r} is not a prebuilt voice\n"
        )
    return found[1]


def _speakers(body: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The default voice and ``{speaker: voice}`` from ``speechConfig``."""
    config = get(body, "generationConfig") or {}
    speech = get(config, "speechConfig") or {}
    multi = get(speech, "multiSpeakerVoiceConfig")
    if not multi:
        return _voice(speech, _VOICE_PATH), {}
    speakers: dict[str, str] = {}
    for i, item in enumerate(get(multi, "speakerVoiceConfigs") or ()):
        if not isinstance(item, dict):
            continue
        path = f"{_VOICE_PATH}.multi_speaker_voice_config.speaker_voice_configs[{i}]"
        speakers[str(item.get("speaker", ""))] = _voice(item, path)
    first = next(iter(speakers.values()), DEFAULT_VOICE)
    return first, speakers


def _spoken_text(body: dict[str, Any]) -> str:
    for content in reversed(contents_of(body)):
        if isinstance(content, dict) and content.get("role", "user") in ("user", ""):
            texts = [
                p["text"]
                for p in content.get("parts") or ()
                if isinstance(p, dict) and isinstance(p.get("text"), str)
            ]
            if texts:
                return strip_directives("\n".join(texts))
    return ""


def _audio_plan(body: dict[str, Any], chunks: int) -> Plan:
    voice, speakers = _speakers(body)
    voices: list[str] = []
    for line in _spoken_text(body).splitlines():
        name, colon, rest = line.partition(":")
        current = voice
        if colon and name.strip() in speakers:
            current, line = speakers[name.strip()], rest
        voices += [current] * len(line.split())
    voices = voices[:MAX_SPOKEN_WORDS] or [voice]
    k = max(1, min(chunks, len(voices)))
    n = len(voices)
    pieces: list[Piece] = []
    for i in range(k):
        group = voices[i * n // k : (i + 1) * n // k]
        pcm = media.tone_pcm([media.voice_frequency(_BY_NAME[v.lower()][0]) for v in group])
        part: Part = {"inlineData": {"mimeType": media.PCM_MIME, "data": _b64(pcm)}}
        pieces.append(Piece(part, 5, candidates=_TOKENS_PER_WORD * len(group), modality="AUDIO"))
    samples = n * media.SEGMENT_SAMPLES
    summary = {
        "mime_type": media.PCM_MIME,
        "voices": sorted(set(voices)),
        "samples": samples,
        "seconds": samples / media.SAMPLE_RATE,
    }
    return Plan(tuple(pieces), "STOP", media=(summary,))


def media_plan(
    model: ModelInfo, body: dict[str, Any], key: bytes, *, chunks: int, signed: bool
) -> Plan | None:
    """The image or audio answer the request asks for, ``None`` for a text answer.

    ``key``: the request key; ``chunks``: stream parts of text (image) or of audio.
    Raises GoogleError 400 for modalities the model does not produce, an unknown voice
    or aspect ratio.
    """
    mods = response_modalities(body)
    if model.tts:
        if mods != ["AUDIO"]:
            raise errors.unsupported_modalities(model.id, mods or ["TEXT"], ["AUDIO"])
        return _audio_plan(body, chunks)
    if "AUDIO" in mods or ("IMAGE" in mods and not model.image):
        accepted = ["TEXT", "TEXT, IMAGE", "IMAGE"] if model.image else ["TEXT"]
        raise errors.unsupported_modalities(model.id, mods, accepted)
    if not model.image or mods == ["TEXT"]:
        return None
    return _image_plan(body, key, chunks, text=mods != ["IMAGE"], signed=signed)


_PREDICT_FIELDS = frozenset({"instances", "parameters"})


def predict_body(body: Any, key: bytes) -> tuple[bytes, list[dict[str, Any]]]:
    """The pretty-printed ``:predict`` reply for an Imagen request (see module doc) and
    one journal summary per image (``{"mime_type", "width", "height", "bytes"}``).

    ``key``: the request key. Raises GoogleError 400 naming the field for a body that
    is not an object, unknown top-level names, no ``instances``, an instance without a
    string ``prompt``, ``sampleCount`` outside 1..4 or an unsupported ``aspectRatio``.
    """
    if not isinstance(body, dict):
        raise errors.invalid_json('Unknown name "": Root element must be a message.')
    unknown = [
        (None, f'Unknown name "{k}": Cannot find field.') for k in body if k not in _PREDICT_FIELDS
    ]
    if unknown:
        raise errors.invalid_json_all(unknown)
    instances = body.get("instances")
    if not isinstance(instances, list) or not instances:
        raise errors.invalid_argument("* PredictRequest.instances: instances is not specified\n")
    for i, instance in enumerate(instances):
        if not isinstance(instance, dict) or not isinstance(instance.get("prompt"), str):
            raise errors.invalid_argument(
                f"* PredictRequest.instances[{i}].prompt: a text prompt is required\n"
            )
    parameters = body.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise errors.invalid_argument("* PredictRequest.parameters: must be an object\n")
    count = get(parameters, "sampleCount")
    count = 4 if count is None else count
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 4:
        raise errors.invalid_argument(
            f"* PredictRequest.parameters.sample_count: must be an integer in [1, 4]; "
            f"got {count!r}\n"
        )
    width, height = image_size(
        get(parameters, "aspectRatio"), IMAGEN_RATIOS, "PredictRequest.parameters.aspect_ratio"
    )
    predictions = []
    summaries: list[dict[str, Any]] = []
    for i in range(len(instances)):
        for j in range(count):
            png = media.gradient_png(_sub_key(key, b"imagen%d.%d" % (i, j)), width, height)
            predictions.append({"bytesBase64Encoded": _b64(png), "mimeType": "image/png"})
            summaries.append(
                {"mime_type": "image/png", "width": width, "height": height, "bytes": len(png)}
            )
    return pretty({"predictions": predictions}), summaries
