"""Controllers: the contract the engine asks at decision points, rule controllers and RL.

The modules are the API: ``control.base`` (the contract, ``WAIT``, simple controllers),
``control.rules``, ``control.actions`` (numbered actions), ``control.env`` (the Gymnasium
environment), ``control.qlearning``, ``control.policy`` (policy files) and
``control.registry`` (controllers and experiments by name). Case studies live in their own
subpackages.
"""
__all__: list[str] = []
