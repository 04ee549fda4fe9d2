"""Example agents run by ``spanwise demo``."""
