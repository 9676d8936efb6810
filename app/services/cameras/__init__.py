"""Cameras: the registry owners fill and police search, camera photos, and owners' bridges."""
