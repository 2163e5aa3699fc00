"""A protocol-faithful local Tibber API for tests and `scripts/develop`."""

from .house import HomeSpec
from .server import HOMES, SIMULATOR_TOKEN, Faults, TibberSimulator

__all__ = ["HOMES", "SIMULATOR_TOKEN", "Faults", "HomeSpec", "TibberSimulator"]
