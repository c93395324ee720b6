"""The route handlers, one endpoint family per module; each module has a handler class
bound to the components it uses and ``add_routes(app)``, which registers the routes the
profile serves (see :mod:`reference_impl.app` for the table).

Route modules depend on :mod:`reference_impl.server`, :mod:`reference_impl.upstream`
and the pure :mod:`reference_impl.translate`, never on one another.
"""
