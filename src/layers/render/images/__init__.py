"""Image generation: pictures Layers cannot draw itself (influencer portraits, slide
backgrounds), from an OpenAI-compatible ``POST /images/generations`` endpoint when one is
configured, drawn locally otherwise.

The package lives in `layers.render`, below both of its users in the import layers:
influencer portraits are made in `layers.projects` and slide backgrounds in `layers.content`,
and `layers.projects` sits below `layers.content`, so a seam inside either would be out of
reach of the other. `layers.render` (pixels, no domain) is the lowest package that is about
making media.
"""
