"""The console's routes, one module per screen, all on the one console router (`router`):
a screen's routes join it when its module is imported (`layers.console.router` imports them
all). One flat router, so its route table lists every console route."""

from layers.console.web import console_router

router = console_router()
