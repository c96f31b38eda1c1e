"""Outputs: the profile's tables as CSV, XLSX and JSON (documents come later)."""
