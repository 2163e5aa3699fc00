"""The home's energy model; imports nothing from Home Assistant."""
