"""The exchange: agreements between organizations, their roadmaps, and routing items to partners."""
