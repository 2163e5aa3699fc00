"""Tests of the sinks, against real or loopback servers."""
