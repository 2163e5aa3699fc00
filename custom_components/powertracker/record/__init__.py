"""What each poll feeds: the hourly statistics, the archive and the sink."""
