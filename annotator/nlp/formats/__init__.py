"""Corpus file formats: one module per format, all listed in `registry.FORMATS`."""
