"""The wallet: credits, their append-only ledger, reservations by generations, allocations
from a parent to its children, and the children's credit config (see `service`)."""
