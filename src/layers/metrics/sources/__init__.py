"""The `PostMetrics` capability: reading a published post's counters and an account's
followers back from its platform (real httpx clients and the sandbox engagement simulator)."""
