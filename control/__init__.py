"""Controllers: the contract the engine asks at decision points, rule controllers and RL."""
