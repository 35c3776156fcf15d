"""mmchat: a terminal chat application for developers who work with many LLMs."""

__version__ = "0.1.0"
