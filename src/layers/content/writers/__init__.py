"""Text writers, an external capability: hooks, slide text in the brand voice, captions.

`base` (the `TextWriter` Protocol, `Brief`), `openai` (any OpenAI-compatible chat-completions
endpoint, live), `offline` (deterministic templates, test mode and live without an endpoint),
`registry` (`text_writer(livemode)`).
"""
