"""Data-sharing agreements (DSAs) and their lifecycle."""
