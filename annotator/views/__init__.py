"""Pages and htmx fragments, one module per area; annotator/urls.py imports each module.
Thin: access checks via selectors, writes via services."""
