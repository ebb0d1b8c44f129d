"""Definitions every layer shares (choices, the error response)."""
