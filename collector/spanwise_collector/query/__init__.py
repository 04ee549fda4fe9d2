"""Read side: SQL for the query API, always parameterised."""
