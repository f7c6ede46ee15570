"""Users, roles, principals and the jurisdiction scope applied in every query."""
