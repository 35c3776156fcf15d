"""Widgets of the chat screen; none of them does I/O."""
