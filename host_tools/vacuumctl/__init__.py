"""vacuumctl: host tool for the open therapeutic vacuum device firmware."""
