"""Speech writers: the voice-over of a video (`base.SpeechWriter`), one module per engine, and
the registry that picks one for a mode (`registry.speech_writer`)."""
