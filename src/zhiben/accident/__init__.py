"""Accident records (生产安全事故): Decree 493 grading, casualty re-grading, reporting deadlines, and the
hazards known at the enterprise before the accident."""
