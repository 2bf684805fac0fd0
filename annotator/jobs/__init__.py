"""Job kinds: one module per kind with its parameter form and runner, listed in registry.py."""
