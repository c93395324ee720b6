"""The contract: OpenAPI documents, wire models, the SSE codec and the scenario names.

``spec`` is the bottom layer (docs/architecture.md): it imports nothing local and does no I/O
beyond reading its own packaged OpenAPI documents. Its modules:

- :mod:`spec.documents`: the packaged OpenAPI documents, loaded, as self-contained JSON
  Schemas, and as one of their versions;
- :mod:`spec.operations`: a document's endpoints and the schemas of their request and
  response bodies and streams;
- :mod:`spec.annotations`: the examples the documents embed and the discrepancies they
  record;
- :mod:`spec.wire`: typed wire models; :mod:`spec.mock_admin`: the mock's admin API and
  request journal (``spec/openapi/mock-admin.yaml``) as typed models;
- :mod:`spec.secrets`: which headers, parameters, body members and values are
  credentials, the one list every redaction uses;
- :mod:`spec.sse`: the WHATWG event-stream codec; :mod:`spec.scenarios`: the mock's
  scenarios and directives; :mod:`spec.profiles`: the documented systems.

The names below are re-exported so ``from spec import load_document`` keeps working.
"""

from __future__ import annotations

from spec.annotations import Discrepancy, Example, discrepancies, examples
from spec.documents import (
    DOCUMENTS,
    HTTP_METHODS,
    component_schema,
    document_version,
    load_document,
    standalone_schema,
)
from spec.operations import (
    Endpoint,
    StreamContract,
    endpoints,
    find_endpoint,
    operation,
    operation_schema,
    request_schema,
    response_object,
    stream_contract,
)

__all__ = [
    "DOCUMENTS",
    "HTTP_METHODS",
    "Discrepancy",
    "Endpoint",
    "Example",
    "StreamContract",
    "component_schema",
    "discrepancies",
    "document_version",
    "endpoints",
    "examples",
    "find_endpoint",
    "load_document",
    "operation",
    "operation_schema",
    "request_schema",
    "response_object",
    "standalone_schema",
    "stream_contract",
]
