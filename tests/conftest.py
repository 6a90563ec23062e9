"""Test configuration: hypothesis runs derandomized, so every run draws the same examples."""

from hypothesis import settings

settings.register_profile("course", derandomize=True, database=None, deadline=None, print_blob=True)
settings.load_profile("course")
