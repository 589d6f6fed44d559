"""Hashtag stats, an external capability: how popular a TikTok hashtag is.

`base` (the `HashtagStats` Protocol, `HashtagStat`), `tiktok_research` (the TikTok Research
API, live), `sandbox` (deterministic numbers, test mode), `registry` (`hashtag_stats(livemode)`).
"""
