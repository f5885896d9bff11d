"""The FlowFactory commands of the ``petri`` command line: ``experiment`` and ``train``."""
