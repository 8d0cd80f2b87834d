"""Incident Desk: a desktop incident tracker for small support, DevOps and SRE teams."""

__version__ = "0.1.0"
APPLICATION_NAME = "Incident Desk"
