"""Safety production liability insurance (M11): policies, mandatory cover, prevention visits, floating."""
