"""Paid ads: ad-account platforms, the optimizer, and the ad manager layers' services."""
