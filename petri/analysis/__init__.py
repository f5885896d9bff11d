"""Analyses of nets: plain functions that take a net and return data.

* ``reachability``: reachability graphs (untimed semantics), with limits;
* ``coverability``: Karp-Miller coverability graphs for unbounded nets;
* ``properties``: deadlocks, bounds, safeness, liveness, reversibility, home states;
* ``invariants``: incidence matrix, P- and T-invariants, semiflows, siphons and traps;
* ``export``: reachability graphs as networkx graphs and GraphML, GEXF, DOT, JSON files.
"""

from .coverability import OMEGA, CoverabilityGraph, coverability_graph
from .properties import Properties, analyse
from .invariants import (incidence_matrix, p_invariants, p_semiflows, siphons, structural_bounds,
                         t_invariants, t_semiflows, traps)

from .reachability import ReachabilityGraph, reachability_graph

__all__ = ["reachability_graph", "ReachabilityGraph", "coverability_graph", "CoverabilityGraph",
           "OMEGA", "analyse", "Properties", "incidence_matrix", "p_invariants", "t_invariants",
           "p_semiflows", "t_semiflows", "structural_bounds", "siphons", "traps"]
