"""Pure-Python words and rules of incident management: no database, no Qt."""
