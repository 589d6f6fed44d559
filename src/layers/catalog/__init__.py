"""Layer templates: the catalog (`registry`) and its API."""
