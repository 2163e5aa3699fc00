"""Sinks: external time-series stores Powertracker writes samples to."""
