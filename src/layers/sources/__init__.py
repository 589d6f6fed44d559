"""Source catalogs, an external capability: where remixes find the posts they adapt.

`base` (the `SourceCatalog` Protocol and its data types), `tiktok_research` (the TikTok
Research API, live, and the research client keyword stats share), `sandbox` (deterministic
posts with real media, test mode), `registry` (`source_catalog(livemode)`).
"""
