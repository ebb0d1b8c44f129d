"""Writing a new message: the flow's state and routing, forms, attachments, uploads, limits."""
