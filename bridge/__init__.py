"""Porchlight bridge: the small program a camera owner runs on their own network.

It reads the owner's cameras (RTSP, MJPEG over HTTP, or a file for tests and demos), keeps the
last few minutes as short H.264 segments in a ring buffer on the box, and uploads only while a
live share is active or to answer an approved footage request. It opens no port to the
internet: the only thing it listens on is a trigger endpoint on one address of the local
network (see trigger.py).

This package does not import the web app (`app`): it runs on a Raspberry Pi or a small Linux
box with only PyAV installed (its wheels bring FFmpeg and x264).
"""

__version__ = "0.1.0"
