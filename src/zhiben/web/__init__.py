"""The web application: app factory, error rendering, (later) pages."""
