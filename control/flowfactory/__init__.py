"""The FlowFactory case study: a client of the library, registered into its generic registries.

The plant's nets, data tables, scenarios and shipped policies live in the ``nets.flowfactory``
package (found through ``importlib.resources``); this package loads them (``plant``), defines
its disruption scenarios (``scenarios``), its controllers (``traditional``, ``earliest``,
``rl`` for the thesis's Q-learning, ``learned`` for ours), its timings (the nets, and
``thesis_timing`` for the thesis's MATLAB model), the
experiment (``experiment``, ``generate``) and the ``petri experiment`` and ``petri train``
commands (``commands``). ``kpi.flowfactory`` holds its lower bound and plots.
"""

__all__ = ["register", "FAMILY"]

#: the family name of the FlowFactory controllers in ``control.registry``
FAMILY = "flowfactory"


def register() -> None:
    """Register the FlowFactory controllers, experiment and commands (the ``petri.plugins``
    entry point of this package); everything is imported only when first used."""
    from petri.commands import COMMANDS, FILE_KINDS

    from control.registry import controllers, experiments
    controllers.register("traditional", "control.flowfactory.traditional:TraditionalController",
                         family=FAMILY)
    controllers.register("ss", "control.flowfactory.rl:ss_controller", family=FAMILY)
    controllers.register("earliest-order",
                         "control.flowfactory.earliest:EarliestOrderController", family=FAMILY)
    controllers.register("thesis-rl", "control.flowfactory.rl:thesis_rl_controller",
                         family=FAMILY)
    controllers.register("rl", "control.flowfactory.learned:rl_controller", family=FAMILY)
    experiments.register("flowfactory", "control.flowfactory.experiment:run_experiment",
                         description="disruption scenarios x controllers x initial-stock cases",
                         family=FAMILY)
    COMMANDS.register("experiment", "control.flowfactory.commands.experiment", family=FAMILY)
    COMMANDS.register("train", "control.flowfactory.commands.train", family=FAMILY)
    for table in ("scenario", "disruption"):     # the tables that mark a scenario file
        FILE_KINDS.register(table, "control.flowfactory.scenarios:check_scenario_file",
                            family=FAMILY)
