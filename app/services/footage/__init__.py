"""Footage: a detective's request for video from owners near a scene, and the evidence it brings.

The one name of this domain: the pages are app/footage, the rules app/core/footage.py, the tables
app/models/footage.py. Here: canvass (a request's life: asked, approved, seen, answered, held),
uploads (an owner's file, straight to S3), bridge_clips (a bridge's answer from its buffer),
missing (the parts of a window a clip does not show) and legal_holds (evidence S3 keeps).
"""
