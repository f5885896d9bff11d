# examples/replications.py: replications of the stochastic line in Python
from pathlib import Path

import petri

net = petri.load(Path(__file__).resolve().parent / "stochastic_line.toml")
result = petri.replicate(net, 20, sojourns=[petri.Sojourn("arrive", "ship")], workers=2)
lead = result.estimate("sojourn", "arrive->ship")
makespan = result.estimate("finish")
print(f"lead time {lead.mean:.1f} min, 95% interval [{lead.low:.1f}, {lead.high:.1f}]")
print(f"makespan {makespan.mean:.0f} min, 95% interval [{makespan.low:.0f}, {makespan.high:.0f}]")
