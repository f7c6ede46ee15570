"""zhiben (治本): find, determine, fix and close major accident hazards."""

__version__ = "0.1.0"
