"""Rule controllers: (s, S) reorder points, FIFO and priority release, stacking."""
from control.base import FirstController
from control.rules import FifoRelease, PriorityRelease, ReorderPoint, Rules
from petri import Net
from petri.engine import Simulator


def shop(orders=(3, 1, 2)) -> Net:
    """Orders released one at a time through a machine using one unit of stock per order;
    a supplier refills the store (capacity 4) to full, two time units after the reorder."""
    net = Net("shop")
    net.add_colour_set("Tick", "dot", timed=True)
    net.add_colour_set("Order", "int", timed=True)
    net.add_place("backlog", "int", initial=list(orders))
    net.add_place("queue", "Order")
    net.add_place("done", "Order")
    net.add_place("machine", "Tick", initial=1)
    net.add_place("store", initial=1, capacity=4)
    net.add_place("supplier", initial=1)
    net.add_place("truck", "Tick")
    net.add_transition("release", inputs=[("backlog", "o")], outputs=[("queue", "o")],
                       controllable=True)
    net.add_transition("work", inputs=[("queue", "o"), "machine", "store"], delay=1,
                       outputs=[("done", "o"), "machine"])
    net.add_transition("reorder", inputs=["supplier"], outputs=["truck"], delay=2,
                       controllable=True)
    net.add_transition("unload", reads=["truck"], outputs=["store"], priority=5)
    net.add_transition("arrived", inputs=["truck"], outputs=["supplier"], priority=4)
    return net


def releases(sim):
    return [e.binding["o"] for e in sim.events if e.transition == "release"]


def test_fifo_release_in_list_order_with_a_wip_limit():
    ctl = Rules([ReorderPoint("reorder", "store", s=0),
                 FifoRelease("release", "o", wip=1, in_process=lambda st: st.count("queue"))])
    sim = Simulator(shop(), controller=ctl)
    assert sim.run().reason == "waiting"     # the supplier stays free, nobody reorders
    assert releases(sim) == [1, 2, 3]
    assert sim.count("done") == 3


def test_priority_release_by_key():
    ctl = Rules([ReorderPoint("reorder", "store", s=0),
                 PriorityRelease("release", key=lambda b, st: -b.values["o"])])
    sim = Simulator(shop(), controller=ctl)
    sim.run()
    assert releases(sim) == [3, 2, 1]


def test_reorder_point_orders_at_s_and_never_at_S():
    ctl = Rules([ReorderPoint("reorder", "store", s=0),
                 FifoRelease("release", "o", wip=1, in_process=lambda st: st.count("queue"))])
    sim = Simulator(shop(), controller=ctl)
    sim.run()
    reorders = [e.time for e in sim.events if e.transition == "reorder"]
    # store 1: order 1 works at 0 (store 0) -> reorder at 0, refilled to 4 at 2
    assert reorders == [0]
    assert sim.count("store") == 2 and sim.clock == 4
    # s = 4 (= S, the capacity): never reorders a full store
    full = Rules([ReorderPoint("reorder", "store", s=4)], base=FirstController())
    sim2 = Simulator(shop(), controller=full)
    sim2.run()
    assert [e.time for e in sim2.events if e.transition == "reorder"] == [0, 2]


def test_rules_hand_other_bindings_to_the_base_controller():
    ctl = Rules([ReorderPoint("reorder", "store", s=0)], base=FirstController())
    sim = Simulator(shop(), controller=ctl)
    sim.run()
    assert releases(sim) == [3, 1, 2]      # the base takes the first offered, backlog order
