"""Benchmarks: ``python -m bench [name ...]`` (``make bench``). See ``bench/__main__.py``."""
