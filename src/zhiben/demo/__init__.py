"""Synthetic national data set: divisions, enterprises, hazards in every state, users for every role."""
