"""The scheduling commands: ``petri schedule``, ``petri generate-plant``, ``petri train-scheduler``."""
