"""TikTok sources to remix: a `SourceCatalog` Protocol, the Research API and a sandbox."""
