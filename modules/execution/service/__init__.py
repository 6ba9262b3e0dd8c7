"""Execution's use cases: queue routed orders, place each exactly once, record what the venue
answered, keep positions, open credentials only when signing, settle what is left ambiguous,
and report venue health."""
