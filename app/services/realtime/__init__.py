"""Real time: live shares from owners, the video they carry, and field (CAD/AVL) layers."""
