"""The FlowFactory case study: a client of the library, registered into its generic registries.

The plant's nets, data tables, scenarios and shipped policies live in the ``nets.flowfactory``
package (found through ``importlib.resources``); this package loads them (``plant``), defines
its disruption scenarios (``scenarios``), its controllers (``traditional``, ``rl``), the
experiment (``experiment``, ``generate``) and the ``petri experiment`` and ``petri train``
commands (``commands``). ``kpi.flowfactory`` holds its lower bound and plots.
"""
