"""Embeddings: the OpenAI list shape, ``dimensions`` honoured, and ``encoding_format:
base64`` (little-endian float32), which openai-python sends by default
(docs/openai-wire.md B4; docs/breakages.md G2)."""

from __future__ import annotations

import base64
import math
import struct

from ..exchange import Exchange
from ..oracles import replay_openai_python
from ..probes.basic import EMBEDDING_DIMENSIONS
from ..registry import CheckFailure, NotApplicable, Severity, check, excerpt
from ._common import OPENAI_PYTHON, json_object, require_response, require_success, validate
from ._refusals import require_accepted

__all__: list[str] = []


@check(
    "embeddings.shape",
    title="Embeddings answer the OpenAI list shape, one entry per input, indexed in order",
    severity=Severity.HIGH,
    source=(
        "https://platform.openai.com/docs/api-reference/embeddings/object; "
        "docs/openai-wire.md#b4-other-endpoints"
    ),
    probes=("embeddings",),
    features=("embeddings",),
    also=("embeddings_base64",),
)
def shape(x: Exchange) -> None:
    status = require_response(x)
    if status != 200 and x.probe == "embeddings_base64":
        raise NotApplicable("embeddings.base64 judges the refusal of the base64 request")
    model = str((x.request.json_body or {}).get("model", ""))
    if status in (400, 404) and model and model.encode() in x.body:
        raise NotApplicable(f"the target does not serve the embedding model {model!r}")
    if status != 200:
        raise CheckFailure(f"POST /embeddings got HTTP {status}", excerpt=excerpt(x.body))
    body = json_object(x)
    validate(body, "EmbeddingList", "the embeddings answer", x.body[:600])
    data = body["data"]
    if [d.get("index") for d in data] != list(range(2)):
        raise CheckFailure(
            f"two inputs gave indexes {[d.get('index') for d in data]}, expected [0, 1]"
        )


@check(
    "embeddings.dimensions",
    title="`dimensions` is honoured (vectors of that length)",
    severity=Severity.HIGH,
    source=(
        "https://github.com/diegosouzapw/OmniRoute/issues/4449; "
        "https://platform.openai.com/docs/api-reference/embeddings/create"
    ),
    probes=("embeddings",),
    features=("embeddings",),
)
def dimensions(x: Exchange) -> None:
    require_success(x)
    for item in json_object(x).get("data") or []:
        vector = item.get("embedding") if isinstance(item, dict) else None
        if not isinstance(vector, list):
            raise CheckFailure(f"encoding_format float gave {type(vector).__name__} vectors")
        if len(vector) != EMBEDDING_DIMENSIONS:
            raise CheckFailure(
                f"asked for dimensions={EMBEDDING_DIMENSIONS}, got vectors of {len(vector)}"
            )


@check(
    "embeddings.base64",
    title="encoding_format base64 gives little-endian float32 vectors openai-python decodes",
    severity=Severity.HIGH,
    source=(
        f"{OPENAI_PYTHON}resources/embeddings.py; "
        "https://github.com/openai/openai-node/issues/1542; "
        "docs/openai-wire.md#c6-speak-base64-embeddings"
    ),
    probes=("embeddings_base64", "embeddings"),
    features=("embeddings",),
)
def base64_vectors(x: Exchange, plain: Exchange) -> None:
    if require_response(x) != 200 and plain.status != 200:
        raise NotApplicable(
            f"the same request with encoding_format 'float' got HTTP {plain.status} too: "
            "embeddings.shape judges that refusal"
        )
    require_accepted(
        x,
        "POST /embeddings with encoding_format 'base64' (what openai-python's "
        "embeddings.create() sends by default; the same request with 'float' got 200)",
    )
    for item in json_object(x).get("data") or []:
        raw = item.get("embedding") if isinstance(item, dict) else None
        if not isinstance(raw, str):
            raise CheckFailure(
                f"encoding_format base64 gave a {type(raw).__name__}, not a base64 string: "
                "openai-node, which asks for base64 when the caller does not choose, decodes "
                "a float list as bytes and silently returns a quarter of the vector "
                "(openai/openai-node#1542)",
                excerpt=excerpt(x.body[:300]),
            )
        try:
            packed = base64.b64decode(raw, validate=True)
        except ValueError:
            raise CheckFailure(
                "an embedding is not valid base64", excerpt=excerpt(raw[:200])
            ) from None
        if not packed or len(packed) % 4:
            raise CheckFailure(f"the decoded embedding has {len(packed)} bytes, not float32s")
        values = struct.unpack(f"<{len(packed) // 4}f", packed)
        if not all(math.isfinite(v) for v in values):
            raise CheckFailure("the decoded float32 vector holds NaN or infinity")
    outcome = replay_openai_python(x, "embeddings")
    if not outcome.ok:
        raise CheckFailure(
            f"openai-python's embeddings.create raises {outcome.error}",
            clients={outcome.client: outcome.verdict()},
        )
