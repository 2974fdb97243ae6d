"""Bundled sample data for `make run` (see ORIGIN.md and LICENSE in this folder)."""
