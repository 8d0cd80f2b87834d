"""The team leads' charts as matplotlib ``Figure`` objects (never pyplot), with no Qt.

Import this package only when charts are needed: matplotlib takes about 0.4 s to import.
"""
