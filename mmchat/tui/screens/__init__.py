"""Screens: the chat, the model picker, and the first-run guide."""
