"""The aiohttp side the route families share, one module per concern.

- what the application holds, by typed key: :mod:`.appkeys`;
- request plumbing: :mod:`.http` (bodies, JSON answers, the profile's error envelope),
  :mod:`.auth` (client keys), :mod:`.document` (the profile document's checks),
  :mod:`.endpoint` (a handler behind all three);
- state that outlives a request, split by concern: :mod:`.chat_config` (the chat
  options in force), :mod:`.limits` (gemini-reverse's rate limits), :mod:`.models`
  (the cached model list), :mod:`.images` (served image files and their URLs),
  :mod:`.batches` (gemini-reverse's image batch jobs), :mod:`.admin_config`
  (antigravity2api's runtime configuration). The last two belong to one route family
  each, which owns them (no app key).

Route handlers live in :mod:`reference_impl.routes`; this package never imports them.
"""
