"""Sub-organizations (fact sheet §20): lifecycle and API keys, for children and for the
organization's own keys."""
