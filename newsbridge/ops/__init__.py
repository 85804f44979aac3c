"""Operating the hub: backup and restore."""
