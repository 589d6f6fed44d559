"""TikTok sources to remix: recommendations, the cache, resolving a remix's source. The
catalogs they come from are the `layers.sources` capability."""
