"""Alur SAKIP: the workflow engine that runs a Kecamatan's SAKIP SOPs."""

__version__ = "0.1.0"
