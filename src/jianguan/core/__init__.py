"""Shared pieces: keys and field encryption, institution scoping, errors, request context."""
