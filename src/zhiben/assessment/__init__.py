"""Assessment of jurisdictions and accountability (考核问责, M9): KPIs per division computed from the registry,
scored by a scheme kept as data, lower-level divisions ranked, every number traceable to its records, and the
report as PDF and Excel."""
