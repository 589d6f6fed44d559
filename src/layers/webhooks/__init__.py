"""Webhooks: endpoints, the signed delivery of events, retries on a ladder, replay."""
