"""Pictures of a run: resource intervals (Gantt chart), token counts over time, real PNGs."""
from pathlib import Path

from petri import Net, Token
from petri.cli import main
from petri.drawing.timeline import resource_intervals, token_counts
from petri.engine import Simulator

ROOT = Path(__file__).resolve().parent.parent


def two_servers():
    """Four jobs ready at 0, 0, 1, 5; two identical servers (black tokens); a job holds a server
    from `start` to `finish` (a separate transition), 4 time units."""
    net = Net("two servers")
    net.add_colour_set("Job", "str", timed=True)
    net.add_place("jobs", "Job", initial=[Token(j, 1, t) for j, t in
                                          (("a", 0), ("b", 0), ("c", 1), ("d", 5))])
    net.add_place("servers", initial=2)
    net.add_place("busy", "Job")
    net.add_place("done", "Job")
    net.add_transition("start", delay=4, inputs=[("jobs", "j"), "servers"],
                       outputs=[("busy", "j")])
    net.add_transition("finish", inputs=[("busy", "j")], outputs=[("done", "j"), "servers"])
    return net


def test_resource_held_between_two_transitions():
    sim = Simulator(two_servers(), seed=3)
    sim.run()
    iv = resource_intervals(sim.events, "servers")
    # a and b start at 0 on lanes 1 and 2; c waits for a server until 4; d starts at 5
    assert sorted((s, e) for _, s, e, _ in iv) == [(0, 4), (0, 4), (4, 8), (5, 9)]
    assert {lab for *_, lab in iv} == {"a", "b", "c", "d"}
    lanes = {name for name, *_ in iv}
    assert lanes == {"servers #1", "servers #2"}
    # no lane holds two jobs at once
    for lane in lanes:
        spans = sorted((s, e) for name, s, e, _ in iv if name == lane)
        assert all(e1 <= s2 for (_, e1), (s2, _) in zip(spans, spans[1:]))


def test_token_counts_step_by_step():
    sim = Simulator(two_servers(), seed=3)
    sim.run()
    series = token_counts(sim.events, {"jobs": 4, "done": 0}, ["jobs", "done"])
    assert series["jobs"] == [(0, 2), (4, 1), (5, 0)]     # 4 at time 0, two taken at once
    assert series["done"] == [(0.0, 0), (4, 2), (8, 3), (9, 4)]


def test_simulate_plot_is_a_real_png(tmp_path, capsys):
    import matplotlib.image as mpimg
    out = tmp_path / "line.png"
    assert main(["simulate", str(ROOT / "examples" / "production_line.toml"), "--plot", str(out),
                 "--resources", "m1_idle,m2_idle", "--places", "orders,finished"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"plot written to {out}"
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    img = mpimg.imread(out)
    assert img.shape[1] == 1000 and img.shape[0] > 300
    assert len({tuple(px) for px in img.reshape(-1, img.shape[2])[::97]}) > 10   # not blank


def test_plot_options_are_checked(tmp_path, capsys):
    line = str(ROOT / "examples" / "production_line.toml")
    assert main(["simulate", line, "--places", "orders"]) == 1
    assert capsys.readouterr().err == "petri: error: --places and --resources go with --plot OUT.png\n"
    assert main(["simulate", line, "--plot", str(tmp_path / "x.png"), "--places", "order"]) == 1
    assert capsys.readouterr().err == ("petri: error: --places: unknown place 'order' (did you "
                                       "mean 'orders'?)\n")
    assert main(["simulate", line, "--plot", str(tmp_path / "x.svg")]) == 1
    assert capsys.readouterr().err == f"petri: error: {tmp_path / 'x.svg'}: plots are written as .png\n"
