"""Drawing nets: layouts, SVG structure (shapes per element, positions kept), PNG, petri draw."""
import glob
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from petri import Net
from petri.drawing import fused_places, layered, net_layout, net_png, net_svg
from petri.formats import pnml
from petri.formats.toml import load

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "production_line.toml"
# shared.toml first: it names the fused net
FLOWFACTORY = sorted((str(p) for p in (ROOT / "nets" / "flowfactory").glob("*.toml")),
                     key=lambda p: (not p.endswith("shared.toml"), p))
SVG = "{http://www.w3.org/2000/svg}"


def groups(svg: str, cls: str):
    root = ET.fromstring(svg.encode("utf-8"))
    return [g for g in root.iter(f"{SVG}g") if cls in g.get("class", "").split()]


def small_net() -> Net:
    net = Net("small")
    net.add_colour_set("Part", values=["A", "B"])
    net.add_place("raw", "Part", initial=["A", "B"])
    net.add_place("done", "Part")
    net.add_place("machine", initial=2)
    net.add_place("stop")
    net.add_place("lamp", initial=1)
    net.add_transition("work", inputs=[("raw", "p"), "machine"], outputs=[("done", "p"), "machine"],
                       reads=["lamp"], inhibitors=["stop"], controllable=True)
    return net


def test_layered_puts_each_node_one_column_after_its_predecessor():
    lay = layered(["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("a", "c"), ("c", "d")])
    xs = {n: x for n, (x, _) in lay.positions.items()}
    assert xs == {"a": 0.0, "b": 80.0, "c": 160.0, "d": 240.0}
    # the long edge a -> c bends once, in b's column, beside b
    assert len(lay.bends[2]) == 1 and lay.bends[2][0][0] == 80.0
    assert lay.bends[2][0][1] != lay.positions["b"][1]
    assert lay.bends[0] == [] and lay.bends[1] == []


def test_layered_breaks_cycles_from_the_starts():
    lay = layered(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")], starts=["b"])
    xs = {n: x for n, (x, _) in lay.positions.items()}
    assert xs == {"b": 0.0, "c": 80.0, "a": 160.0}
    # the same input, the same layout
    assert layered(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "a")], starts=["b"]) == lay


def test_layered_order_removes_a_crossing():
    # a1 -> b2 and a2 -> b1 in the given order cross; the sweeps uncross them
    lay = layered(["a1", "a2", "b1", "b2"], [("a1", "b2"), ("a2", "b1")])
    y = {n: p[1] for n, p in lay.positions.items()}
    assert (y["a1"] < y["a2"]) == (y["b2"] < y["b1"])


def test_resource_places_sit_before_their_transition():
    net = load(str(EXAMPLE))
    lay = net_layout(net)
    x = {k[1]: p[0] for k, p in lay.positions.items()}
    assert x["orders"] < x["machine_1"] < x["buffer"] < x["machine_2"] < x["finished"]
    assert x["m1_idle"] < x["machine_1"] and x["m2_idle"] < x["machine_2"]
    assert not lay.given


def test_svg_has_one_shape_per_element():
    net = load(str(EXAMPLE))
    svg = net_svg(net)
    places, transitions, arcs = (groups(svg, c) for c in ("place", "transition", "arc"))
    assert sorted(g.get("data-name") for g in places) == sorted(net.places)
    assert sorted(g.get("data-name") for g in transitions) == ["machine_1", "machine_2"]
    assert all(len(g.findall(f"{SVG}circle")) == 1 for g in places)
    assert all(len(g.findall(f"{SVG}rect")) == 1 for g in transitions)
    assert len(arcs) == 8            # 4 input and 4 output arcs
    assert all(len(g.findall(f"{SVG}path")) == 1 and len(g.findall(f"{SVG}polygon")) == 1
               for g in arcs)
    labels = sorted(t.text for g in arcs for t in g.findall(f"{SVG}text"))
    assert labels == ["m", "m", "m", "m", "p", "p", "p", "p @+TRANSPORT"]
    # structure only: no token counts
    assert not [t for g in places for t in g.findall(f"{SVG}text") if t.get("class") == "tokens"]


def test_svg_shows_tokens_colours_and_enabled_transitions():
    net = small_net()
    svg = net_svg(net, marking=net.initial_marking(), enabled={"work"})
    by_name = {g.get("data-name"): g for g in groups(svg, "place")}
    dots = by_name["machine"].findall(f"{SVG}circle")
    assert len([c for c in dots if c.get("class") == "token"]) == 2
    colours = [t.text for t in by_name["raw"].findall(f"{SVG}text") if t.get("class") == "colours"]
    assert colours == ["A, B"]
    count = [t.text for t in by_name["raw"].findall(f"{SVG}text") if t.get("class") == "tokens"]
    assert count == ["2"]
    assert by_name["raw"].find(f"{SVG}title").text == "place raw : Part\n2 tokens:\n  A @ 0\n  B @ 0"
    (work,) = groups(svg, "transition")
    assert work.get("class") == "transition controllable enabled"
    assert "transition work (controllable)" in work.find(f"{SVG}title").text


def test_svg_draws_read_and_inhibitor_arcs_distinctly():
    svg = net_svg(small_net())
    arcs = {g.get("data-name"): g for g in groups(svg, "arc")}
    read, inhibitor = arcs["lamp -> work"], arcs["stop -> work"]
    assert read.get("data-kind") == "read" and inhibitor.get("data-kind") == "inhibitor"
    assert read.find(f"{SVG}path").get("stroke-dasharray") == "5,3"
    assert read.find(f"{SVG}polygon") is None              # no arrow head
    assert inhibitor.find(f"{SVG}polygon") is None
    assert inhibitor.find(f"{SVG}circle").get("class") == "head"   # a small circle instead
    legend = " ".join(t.text for g in groups(svg, "legend") for t in g.iter(f"{SVG}text"))
    assert "read arc" in legend and "inhibitor arc" in legend and "controllable" in legend


def test_positions_from_the_file_are_kept():
    net = small_net()
    spots = {"raw": (100, 100), "done": (300, 100), "machine": (200, 200), "stop": (200, 10),
             "lamp": (100, 200)}
    for name, xy in spots.items():
        net.places[name].position = xy
    net.transitions["work"].position = (200, 100)
    svg = net_svg(net)
    centre = {}
    for g in groups(svg, "place"):
        c = g.find(f"{SVG}circle")
        centre[g.get("data-name")] = (float(c.get("cx")), float(c.get("cy")))
    (work,) = groups(svg, "transition")
    r = work.find(f"{SVG}rect")
    centre["work"] = (float(r.get("x")) + float(r.get("width")) / 2,
                      float(r.get("y")) + float(r.get("height")) / 2)
    dx, dy = centre["raw"][0] - 100, centre["raw"][1] - 100
    spots["work"] = (200, 100)
    for name, (x, y) in spots.items():
        assert centre[name] == pytest.approx((x + dx, y + dy))


def test_positions_all_at_one_spot_are_laid_out_instead():
    net = pnml.load(str(ROOT / "tests" / "data" / "mcc" / "Philosophers-PT-000005.pnml"))
    assert {p.position for p in net.places.values()} == {(100.0, 100.0)}
    lay = net_layout(net)
    assert not lay.given and len(set(lay.positions.values())) == 50


def test_flowfactory_drawing_marks_fused_places_and_controllable_transitions():
    net = load(*FLOWFACTORY)
    fused = fused_places(net)
    assert {"demand", "to_commissioning"} <= fused and "backlog" not in fused
    svg = net_svg(net, fused=fused)
    places, transitions = groups(svg, "place"), groups(svg, "transition")
    assert len(places) == 58 and len(transitions) == 46
    assert len(groups(svg, "fused")) == len(fused)
    assert all(len(g.findall(f"{SVG}circle")) == 2 for g in groups(svg, "fused"))
    assert len(groups(svg, "controllable")) == sum(t.controllable for t in net.transitions.values())
    # no two nodes drawn on top of each other
    spots = set()
    for g in places:
        c = g.find(f"{SVG}circle")
        spots.add((c.get("cx"), c.get("cy")))
    assert len(spots) == 58


@pytest.mark.parametrize("name", sorted(Path(p).name for p in glob.glob(str(ROOT / "tests" / "data"
                                                                         / "mcc" / "*.pnml"))))
def test_every_mcc_model_draws(name):
    net = pnml.load(str(ROOT / "tests" / "data" / "mcc" / name))
    svg = net_svg(net, marking=net.initial_marking())
    assert len(groups(svg, "place")) == len(net.places)
    assert len(groups(svg, "transition")) == len(net.transitions)
    assert len(groups(svg, "arc")) == sum(len(t.inputs) + len(t.outputs)
                                          for t in net.transitions.values())


def test_png_is_an_image():
    pytest.importorskip("matplotlib")
    data = net_png(load(str(EXAMPLE)), marking=load(str(EXAMPLE)).initial_marking())
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(data[16:20], "big")
    assert width > 400


def test_petri_draw_writes_svg_and_png(tmp_path):
    svg, png = tmp_path / "net.svg", tmp_path / "net.png"
    r = subprocess.run([sys.executable, "-m", "petri", "draw", str(EXAMPLE), "-o", str(svg),
                        "--marking"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stderr == f"{svg}: written (5 places, 2 transitions)\n"
    text = svg.read_text()
    (m1,) = [g for g in groups(text, "transition") if g.get("data-name") == "machine_1"]
    assert "enabled" in m1.get("class")          # M1 and orders are there at time 0
    (m2,) = [g for g in groups(text, "transition") if g.get("data-name") == "machine_2"]
    assert "enabled" not in m2.get("class")
    r = subprocess.run([sys.executable, "-m", "petri", "draw", str(EXAMPLE), "-o", str(png)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0 and png.read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.png", "net.svg"]   # no temp files
    again = subprocess.run([sys.executable, "-m", "petri", "draw", str(EXAMPLE), "-o", str(svg)],
                           capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 1
    assert again.stderr == f"petri: error: {svg}: already exists; use --force to overwrite it\n"
    assert svg.read_text() == text
    again = subprocess.run([sys.executable, "-m", "petri", "draw", str(EXAMPLE), "-o", str(svg),
                            "--force"], capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 0 and svg.read_text() != text      # now without the marking


def test_petri_draw_bad_requests_are_one_line(tmp_path):
    r = subprocess.run([sys.executable, "-m", "petri", "draw", str(EXAMPLE), "-o",
                        str(tmp_path / "net.jpg")], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1
    assert r.stderr == (f"petri: error: {tmp_path / 'net.jpg'}: cannot tell the picture format "
                        "from the extension (use .svg or .png)\n")
    r = subprocess.run([sys.executable, "-m", "petri", "draw", "no/such.toml", "-o",
                        str(tmp_path / "net.svg")], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 1 and r.stderr == "petri: error: no/such.toml: no such file\n"
