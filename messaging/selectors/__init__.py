"""Reads, split by subject. Keyword-only arguments; no writes here."""
