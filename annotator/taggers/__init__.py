"""Tagger kinds: one module per kind (its settings, how to load it, how to show it), listed in
registry.py."""
