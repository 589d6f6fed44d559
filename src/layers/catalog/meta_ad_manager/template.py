"""The ``meta-ad-manager`` template: one Meta Ad Manager per ad account.

Commands: ``initialize`` (sync the account, write the authority defaults), ``content-refresh``
(``*/15 * * * *``), ``ad-optimize`` (``0 */6 * * *``), ``ad-optimize-watchdog``
(``0 */2 * * *``); each scheduled command can be moved per layer with
``config.schedule.crons.<commandId>`` (``config.schedule.cron`` moves all three). The config
schema and the story every command tells (sync → classify → propose → guardrails → authority →
dispatch → record) are shared with the other ad manager and live in `layers.ads`; this package
names the platform (Meta Marketing API; ad sets).
"""

from __future__ import annotations

from layers.ads import template_parts

PLATFORM = "meta"
CONFIG_SCHEMA = template_parts.config_schema(PLATFORM)

TEMPLATE = template_parts.template(
    PLATFORM,
    name="Meta Ad Manager",
    description="Runs Meta ads from your best content: refreshes creatives in ad sets, pauses "
    "and replaces what underperforms, moves budgets within guardrails, and catches "
    "catastrophic spend — each decision recorded with its reason.",
)

TEMPLATES = [TEMPLATE]
