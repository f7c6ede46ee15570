"""Engine, sessions, the unit of work and migrations."""
