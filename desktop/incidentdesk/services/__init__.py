"""Use cases over the storage layer: Qt-free, returning plain dataclasses."""
