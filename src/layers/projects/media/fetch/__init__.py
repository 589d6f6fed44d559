"""Fetching a partner's media URL, an external capability (the partner's CDN).

`base` (the `MediaFetcher` Protocol; `Fetched`), `http` (the real download through the SSRF
guard in `kit.safe_http`, live), `sandbox` (the same URL checks, then real media made here,
test mode), `registry` (`media_fetcher(livemode)`).
"""
