"""``python -m conformance.load``: the Locust process of ``conformance load``
(:func:`conformance.load.engine.main`). Locust is imported before anything else, so
gevent patches the standard library first; imported as a module (not run), this file
does nothing."""

if __name__ == "__main__":
    import locust  # noqa: F401  (patches the standard library with gevent, first)

    from conformance.load.engine import main

    main()
