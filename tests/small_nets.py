"""Small nets the tests share."""
from petri import Net


def flow_shop(name="flowshop") -> Net:
    """Johnson's two-machine flow shop with two jobs: a (1, then 10) and b (10, then 1).
    Starting a first finishes at 12, b first at 21: the optimal policy starts a."""
    net = Net(name)
    net.add_colour_set("Job", values=["a", "b"], timed=True)
    net.add_colour_set("Machine", "dot", timed=True)
    net.add_table("P1", {"a": 1, "b": 10})
    net.add_table("P2", {"a": 10, "b": 1})
    net.add_place("queue", "Job", initial=["a", "b"])
    net.add_place("m1", "Job")
    net.add_place("between", "Job")
    net.add_place("done", "Job")
    net.add_place("free1", "Machine", initial=1)
    net.add_place("free2", "Machine", initial=1)
    net.add_transition("start", inputs=[("queue", "j"), "free1"], outputs=[("m1", "j")],
                       controllable=True)
    net.add_transition("finish1", inputs=[("m1", "j")], delay="P1[j]",
                       outputs=[("between", "j"), "free1"])
    net.add_transition("second", inputs=[("between", "j"), "free2"], delay="P2[j]",
                       outputs=[("done", "j"), "free2"])
    return net
