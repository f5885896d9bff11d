"""Load the example production line, simulate it and look at the event log.

Run from anywhere:  python examples/production_line.py
"""
from pathlib import Path

import petri

HERE = Path(__file__).resolve().parent

net = petri.load(HERE / "production_line.toml")
sim = petri.Simulator(net, seed=1)
result = sim.run()

events = sim.events.to_frame()
finished = sim.tokens("finished")
makespan = max(t for _, t in finished)
print(f"{net.name}: {result.firings} firings, last firing at t={result.clock:g} s, "
      f"all {len(finished)} parts finished at t={makespan:g} s")
print()
print("first firings:")
print(events[["step", "time", "transition", "binding"]].head(6).to_string(index=False))
print()
# busy time per machine: each firing occupies its machine for the processing time
busy = {}
for _, row in events.iterrows():
    b = row["binding"]
    busy[b["m"]] = busy.get(b["m"], 0) + net.tables["proc_time"][b["p"], b["m"]]
for machine, seconds in sorted(busy.items()):
    print(f"{machine}: busy {seconds} s, utilisation {seconds / makespan:.0%}")
