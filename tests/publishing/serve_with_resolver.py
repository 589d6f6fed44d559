"""The ``layers`` command with a stand-in content resolver, for tests that run server processes.

In production the content pipeline registers the resolver when its module is imported; the
process tests have no containers, so this one publishes two images served by the fake
platform server (``FAKE_MEDIA_BASE``) with a caption naming the post.
"""

from __future__ import annotations

import os
from typing import Any

from layers.cli.main import main
from layers.publishing.content import PublishableContent, register_content_resolver


def resolve(_session: Any, post: Any) -> PublishableContent:
    base = os.environ["FAKE_MEDIA_BASE"]
    return PublishableContent(
        kind="photo",
        media_urls=[f"{base}/media/{post.id}-{i}.jpg" for i in range(2)],
        caption=f"Crash-proof coffee ({post.id})",
    )


register_content_resolver(resolve)

if __name__ == "__main__":
    main()
