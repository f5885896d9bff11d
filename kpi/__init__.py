"""Key performance indicators computed from event logs and station tables.

The modules are the API: ``kpi.stations``, ``kpi.makespan``, ``kpi.stock``, ``kpi.resilience``
and ``kpi.errors``; a case study's own measures live in its own subpackage.
"""
__all__: list[str] = []
