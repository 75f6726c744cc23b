"""Gainsight CS (NXT): the Data API streams (every object of the tenant, its delete log)."""
