"""Execution's pure rules: what a venue says, the breaker's state machine, venue limits and
stats, the position fold, order facts and the simulated market. No I/O, no clock: callers pass
`now`."""
