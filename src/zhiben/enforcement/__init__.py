"""Precise enforcement: double-random draws, cross-region teams, inspections and their documents."""
