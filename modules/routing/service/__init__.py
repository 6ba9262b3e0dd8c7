"""Routing's use cases: intake of an intent through the risk gate and the planner to the
hand-off, TWAP slices, execution's reports, and the users' controls."""
