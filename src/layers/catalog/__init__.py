"""Layer template packages. Each imports the engine; the engine never imports them: the
composition root (`layers.wiring`) registers their templates."""
