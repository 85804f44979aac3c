"""Items: every version of every news item, stored and read back with access rules."""
