"""Source catalogs: where remixes find the posts they adapt (the TikTok Research API live, a
deterministic sandbox in test mode), and the research client keyword stats share."""
