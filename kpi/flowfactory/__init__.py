"""FlowFactory measures: the makespan lower bound of a case and the experiment's plots."""
__all__: list[str] = []
