"""The typed keys of what one application holds: each component of the proxy's state
under its own :class:`aiohttp.web.AppKey`, set once by
:func:`~reference_impl.app.create_app` before any route is added.

=================  ====================================  =====================================
key                component                             concern
=================  ====================================  =====================================
``SETTINGS``       :class:`~..settings.Settings`         flags and environment (frozen)
``CONTRACT``       :class:`~..contract.Contract`         the profile's behaviour (frozen)
``POOL``           :class:`~..policy.keys.KeyPool`       upstream credentials and rotation
``UPSTREAM``       :class:`~..upstream.client.Upstream`  the shared upstream client
``SIGNATURES``     :class:`~..stores.signatures.         tool call id -> thought signature
                   SignatureCache`
``CHAT_CONFIG``    :class:`.chat_config.ChatConfig`      chat options in force (admin-set)
``LIMITS``         :class:`.limits.Limits`               gemini-reverse's rate limits
``CLIENT_AUTH``    :class:`.auth.ClientAuth`             client keys per route group
``DOCUMENT``       :class:`.document.DocumentCheck`      the profile document's checks
``ENDPOINTS``      :class:`.endpoint.Endpoints`          handlers behind auth and checks
``MODELS``         :class:`.models.ModelCatalog`         the cached upstream model list
``IMAGES``         :class:`.images.ServedImages`         generated images and their URLs
``MEDIA``          :class:`~..upstream.media.            image URLs of chat messages
                   MediaFetcher`                         (SSRF policy)
``NOTICES``        ``list[str]``                         said once (WARNING) when the proxy
                                                         listens (a generated password)
=================  ====================================  =====================================

Keys are declared with string annotations, so this module imports no component and any
module may import it; ``SETTINGS`` and ``CONTRACT`` live in :mod:`.config_keys` (the
request plumbing reads them) and are re-exported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .config_keys import CONTRACT, SETTINGS

if TYPE_CHECKING:
    from ..policy.keys import KeyPool
    from ..stores.signatures import SignatureCache
    from ..upstream.client import Upstream
    from ..upstream.media import MediaFetcher
    from .auth import ClientAuth
    from .chat_config import ChatConfig
    from .document import DocumentCheck
    from .endpoint import Endpoints
    from .images import ServedImages
    from .limits import Limits
    from .models import ModelCatalog

__all__ = [
    "CHAT_CONFIG",
    "CLIENT_AUTH",
    "CONTRACT",
    "DOCUMENT",
    "ENDPOINTS",
    "IMAGES",
    "LIMITS",
    "MEDIA",
    "MODELS",
    "NOTICES",
    "POOL",
    "SETTINGS",
    "SIGNATURES",
    "UPSTREAM",
]

POOL: web.AppKey[KeyPool] = web.AppKey("pool")
UPSTREAM: web.AppKey[Upstream] = web.AppKey("upstream")
SIGNATURES: web.AppKey[SignatureCache] = web.AppKey("signatures")
CHAT_CONFIG: web.AppKey[ChatConfig] = web.AppKey("chat_config")
LIMITS: web.AppKey[Limits] = web.AppKey("limits")
CLIENT_AUTH: web.AppKey[ClientAuth] = web.AppKey("client_auth")
DOCUMENT: web.AppKey[DocumentCheck] = web.AppKey("document")
ENDPOINTS: web.AppKey[Endpoints] = web.AppKey("endpoints")
MODELS: web.AppKey[ModelCatalog] = web.AppKey("models")
IMAGES: web.AppKey[ServedImages] = web.AppKey("images")
MEDIA: web.AppKey[MediaFetcher] = web.AppKey("media")
NOTICES: web.AppKey[list[str]] = web.AppKey("notices")
