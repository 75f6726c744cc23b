"""Gainsight PX: the REST API v1 streams (entities, attribute models, events)."""
