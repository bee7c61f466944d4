"""Sampling from trained generators: model loading, token sampling loops, writing outputs."""
