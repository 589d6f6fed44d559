"""Instagram's facts (Instagram API with Instagram Login), as the rest of the system reads them."""

from __future__ import annotations

from datetime import timedelta

from layers.social.platforms.base import MediaLimits, PlatformSpec, PostOption

SPEC = PlatformSpec(
    name="instagram",
    display_name="Instagram",
    # API-published posts per account per moving 24 hours (a carousel counts once); the
    # account's own ``content_publishing_limit`` is asked before each publish as well.
    daily_post_cap=100,
    reports_quota=True,
    drafts_inbox=False,
    manual_outcome="pending_manual",  # no drafts inbox: a person publishes it
    quota_failures=frozenset(),
    reauth_failures=frozenset(),
    post_options=(
        PostOption(
            key="shareReelToFeed",
            modes=frozenset({"publish"}),
            kinds=frozenset({"video"}),
        ),
    ),
    privacy_levels=(),
    media=MediaLimits(max_images=10, max_caption=2200, max_hashtags=30),
    post_url="https://www.instagram.com/p/{code}/",
    default_scopes=("instagram_business_basic", "instagram_business_content_publish"),
    access_token_lifetime=timedelta(days=60),  # the long-lived token
    refresh_token_lifetime=None,  # the long-lived token refreshes itself
    refresh_window=timedelta(days=30),  # refresh before the long-lived token lapses
    refresh_min_age=timedelta(hours=24),  # Instagram refreshes only tokens a day old or more
    # ``/{media-id}/insights``: one media a call; the Graph API allows 200 calls an hour per
    # account (code 4 / 17 / 32 past it), so a sync of one account paces itself to 3 a minute.
    metrics_batch=1,
    metrics_calls_per_minute=3,
)
