"""The webhook sender capability: `base` (the Protocol), `http` (httpx), `registry`."""
