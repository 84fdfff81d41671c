"""Clinical engine: pure Python, no Django (see DESIGN.md)."""
