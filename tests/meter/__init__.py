"""Tests of the home's energy model, without Home Assistant."""
