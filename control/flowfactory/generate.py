"""Unseen inputs for the FlowFactory experiment: order lists and disruption windows from a seed.

The shipped policy was trained on the thesis's order list (``orders.csv``), its ten
initial-stock cases and the ideal scenario. To see whether what it learned carries over,
``generate_orders(seed)`` draws a new order list like the thesis's (four components of
products A-F drawn uniformly, a few orders with three, one base and one electrical part
each) and ``generate_scenarios(seed, folder)`` writes the bundled scenarios with their
disruption windows moved to other orders (same width, drawn from the seed).

>>> orders = generate_orders(7)
>>> len(orders), sorted({sum(q.values()) for q in orders.values()})
(50, [3, 4])
>>> generate_orders(7) == orders
True
"""
from __future__ import annotations

import random
import re
from pathlib import Path

from control.flowfactory.plant import ORDER_COLUMNS, PRODUCTS
from control.flowfactory.scenarios import SCENARIOS, load_scenario, resolve_scenario
from petri.files import read_text, write_output

__all__ = ["generate_orders", "write_orders", "generate_scenarios"]

_WINDOW = re.compile(r"^(\s*orders\s*=\s*)\[\s*(\d+)\s*,\s*(\d+)\s*\]", re.MULTILINE)


def generate_orders(seed: int, n: int = 50, three: float = 0.05) -> dict[int, dict[str, int]]:
    """``n`` orders (1..n): four components (three with probability ``three``), products
    drawn uniformly with replacement."""
    rng = random.Random(seed)
    out = {}
    for o in range(1, n + 1):
        q = {p: 0 for p in PRODUCTS}
        for _ in range(3 if rng.random() < three else 4):
            q[rng.choice(PRODUCTS)] += 1
        out[o] = q
    return out


def write_orders(orders: dict[int, dict[str, int]], path, force: bool = True) -> Path:
    """Write an order list with the columns of orders.csv (over a file only with ``force``)."""
    path = Path(path)
    lines = [",".join(ORDER_COLUMNS)]
    for o, q in sorted(orders.items()):
        lines.append(",".join([str(o)] + [str(q[p]) for p in PRODUCTS] + ["1", "1"]))
    write_output(path, "\n".join(lines) + "\n", force=force)
    return path


def generate_scenarios(seed: int, folder, n_orders: int = 50,
                       names: list[str] | None = None, force: bool = True) -> list[Path]:
    """Copies of the bundled scenarios (or of the scenario files ``names``) in ``folder`` whose order windows (same width) start
    at an order drawn from ``seed``; the ideal scenario is copied as it is."""
    rng = random.Random(seed)
    folder = Path(folder)
    out = []
    for name in names or SCENARIOS:
        text = read_text(resolve_scenario(name), what="scenario file")

        def move(m):
            width = int(m.group(3)) - int(m.group(2))
            first = rng.randint(1, max(1, n_orders - width))
            return f"{m.group(1)}[{first}, {first + width}]"

        moved = []

        def move_and_note(m):
            moved.append(move(m))
            return moved[-1]

        text = _WINDOW.sub(move_and_note, text)
        if len(moved) == 1:        # the description names the window: name the new one
            a, b = re.findall(r"\d+", moved[0].split("=")[1])
            text = re.sub(r'^(description = ".*?)orders \d+-\d+', rf"\g<1>orders {a}-{b}", text,
                          count=1, flags=re.MULTILINE)
        # the thesis's results are for its own order list, not for this one
        text = re.sub(r"^thesis_days\s*=.*\n", "", text, flags=re.MULTILINE)
        path = folder / f"{Path(name).stem}.toml"
        write_output(path, text, force=force)
        load_scenario(path)            # still a valid scenario file
        out.append(path)
    return out
