"""The engine: answers from request to stored result (`turn.Engine`).

It stores through a sink, streams from providers, retries, falls back and
meters; it knows no interface and no routing rules. Importing this package
loads nothing: the interface starts without provider or HTTP code.
"""
