"""Leadloop: closed-loop B2B lead management and marketing ROI."""

__version__ = "0.1.0"
