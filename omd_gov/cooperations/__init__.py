"""Data cooperations and their Data Cooperation Canvas (DS4SSCC)."""
