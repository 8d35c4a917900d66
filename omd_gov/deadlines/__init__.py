"""Deadlines on the office's business-day calendar."""
