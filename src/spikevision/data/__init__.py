"""Datasets (one file each), representations, caching and the config-driven DataModule."""
