"""Net files and their data tables, shipped as package data (read with ``importlib.resources``)."""
