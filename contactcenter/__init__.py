"""contactcenter: the backend of a 12345 government service hotline running on Asterisk."""

__version__ = "0.1.0"
