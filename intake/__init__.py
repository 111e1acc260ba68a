"""Intake service for scanned vaccination pre-screening forms (予診票)."""
