"""The stores of samples: the local five-minute archive and the external sinks."""
