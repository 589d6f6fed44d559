"""The audit log (fact sheet §20): who did what, newest first."""
