"""Export of recorded usage: parameters, aggregation, CSV and PNG rendering."""
