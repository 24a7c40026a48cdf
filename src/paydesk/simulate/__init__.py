"""A deterministic simulated world: players, PSPs, payment flows with labelled failure modes, live traffic."""
