"""The template catalog: the registry of every template this process knows, and its API."""
