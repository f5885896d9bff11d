# examples/order_b.py: a controller for `petri simulate --controller examples/order_b.py`
from control.base import WAIT


class OrderB:
    """Whenever the net offers an order, order product B."""

    def choose(self, decision):
        return next((b for b in decision.bindings if b.values.get("q") == "B"), WAIT)


controller = OrderB
