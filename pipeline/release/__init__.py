"""Releases: modes (full, stand-off, pseudonymised), licences, the dataset card, plots, git tags, push, rehydrate."""
