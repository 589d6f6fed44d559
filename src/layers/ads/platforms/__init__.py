"""The `AdsPlatform` capability: what an ads platform (Meta, TikTok) offers us, a real client
per platform, the sandbox ads market for test mode, and the registry that picks one."""
