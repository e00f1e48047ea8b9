"""paylane: a small payments service."""
