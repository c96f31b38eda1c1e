"""Analyses: pure functions (store, period, filters) -> named tables, written in Ibis."""
