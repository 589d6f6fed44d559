"""TikTok's facts (Content Posting API, Login Kit), as the rest of the system reads them."""

from __future__ import annotations

from datetime import timedelta

from layers.social.platforms.base import MediaLimits, PlatformSpec, PostOption

SPEC = PlatformSpec(
    name="tiktok",
    display_name="TikTok",
    # Direct posts per creator per 24 hours (TikTok's documented limit); drafts do not count.
    daily_post_cap=15,
    reports_quota=False,  # no remaining-posts figure: our own count enforces the cap
    drafts_inbox=True,
    manual_outcome="draft",  # manual posting: the creator finishes it from the drafts inbox
    # ``spam_risk_too_many_posts``: the creator's daily cap; ``reached_active_user_cap``: the
    # app's. ``auth_removed``: the creator withdrew our access while the post was processing.
    quota_failures=frozenset({"spam_risk_too_many_posts", "reached_active_user_cap"}),
    reauth_failures=frozenset({"auth_removed"}),
    post_options=(
        PostOption(
            key="tiktokPostSettings",
            modes=frozenset({"publish", "draft"}),
            fields=(
                "privacyLevel",
                "disableComment",
                "disableDuet",
                "disableStitch",
                "autoAddMusic",
                "brandContentToggle",
                "brandOrganicToggle",
            ),
            ignored_elsewhere=True,
        ),
    ),
    # ``privacy_level``; the creator's own options (creator_info) narrow it at publish time.
    privacy_levels=(
        "PUBLIC_TO_EVERYONE",
        "FOLLOWER_OF_CREATOR",
        "MUTUAL_FOLLOW_FRIENDS",
        "SELF_ONLY",
    ),
    media=MediaLimits(max_images=35, max_caption=2200, max_photo_text=4000, max_title=90),
    post_url="https://www.tiktok.com/@{handle}/{kind}/{post_id}",
    default_scopes=(
        "user.info.basic",
        "user.info.profile",
        "video.publish",
        "video.upload",
        "video.list",
    ),
    access_token_lifetime=timedelta(hours=24),
    refresh_token_lifetime=timedelta(days=365),  # rotated by every refresh
    refresh_window=timedelta(days=30),  # refresh before the refresh token runs out unused
    # Display API ``/v2/video/query/``: up to 20 video ids a call; 600 requests a minute per
    # endpoint for the app, shared by every creator, so each account takes a modest share.
    metrics_batch=20,
    metrics_calls_per_minute=60,
)
