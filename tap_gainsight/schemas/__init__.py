"""JSON schemas of the tap's streams, one file per stream."""
