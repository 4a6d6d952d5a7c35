"""FAKE ai-toolkit `toolkit` package (tests): only what the worker's import check touches."""
