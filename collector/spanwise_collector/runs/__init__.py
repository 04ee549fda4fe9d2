"""Experiment runs on the collector side: the RunService receiver and event validation."""
