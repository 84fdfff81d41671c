"""Forms of the records pages: they parse input; the rules live in `records.services`."""
