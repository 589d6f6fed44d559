"""Rendering: 1080×1920 slides with Pillow, H.264 MP4 with ffmpeg, thumbnails."""
