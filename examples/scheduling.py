"""Schedule Taillard's ta01 with a dispatching rule and check the schedule (docs/scheduling.md)."""
from pathlib import Path

from control.scheduling import check_schedule, schedule
from petri.formats.jobshop import read_instance

ROOT = Path(__file__).resolve().parents[1]
inst = read_instance(ROOT / "nets/scheduling/instances/taillard/ta01.txt")
result = schedule(inst, method="rule:mwkr")
print(result.makespan, result.lower_bound)
for op in result.operations[:3]:
    print(op.job, op.operation, op.machine, op.start, op.end)
assert check_schedule(inst, result) == []
