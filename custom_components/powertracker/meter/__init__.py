"""A home's energy, modelled without Home Assistant: state, totals, hours, tariffs."""
