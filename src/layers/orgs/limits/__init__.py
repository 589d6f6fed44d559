"""Rate limits (§4 of the reference): a key's tier sets per-minute buckets for each endpoint
class (read-light, write-light, long-running), a daily cap on writes, and a cap on the
organization's concurrent jobs. Counted with the `limits` library (fixed windows) in a storage
shared by every API process where there are several (see `storage`)."""
