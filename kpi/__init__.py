"""Key performance indicators computed from event logs and station tables."""
