"""Enterprises (生产经营单位): identity, location, regulatory sector, responsible persons, licences."""
