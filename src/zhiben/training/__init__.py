"""Training and competence (M10): certificates of competence, expiry warnings, rule-pack facts."""
