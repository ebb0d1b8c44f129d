"""Writes, split by subject. Each public function is one transaction; keyword-only arguments."""
