"""The full-screen interface (Textual). It talks to the engine only through ChatService."""
