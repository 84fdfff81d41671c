"""Jianguan (健管): health management system."""

__version__ = "0.1.0"
