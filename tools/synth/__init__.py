"""Synthetic data: residents, masters, filled and scanned forms with their truth. Synthetic people only."""
