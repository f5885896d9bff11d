"""petri reach --draw: small reachability graphs as pictures, larger ones refused clearly."""
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "production_line.toml"
SVG = "{http://www.w3.org/2000/svg}"

SMALL = """
[places.a]
initial = 1
[places.b]
[places.c]
[places.d]
initial = 1
[transitions.t1]
inputs = [{ place = "a" }]
outputs = [{ place = "b" }]
[transitions.t2]
inputs = [{ place = "b" }, { place = "d" }]
outputs = [{ place = "c" }]
[transitions.back]
inputs = [{ place = "b" }]
outputs = [{ place = "a" }]
[transitions.loop]
inputs = [{ place = "d" }]
outputs = [{ place = "d" }]
"""


def petri(*args):
    return subprocess.run([sys.executable, "-m", "petri", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_small_graph_is_drawn_with_initial_state_and_deadlock_marked(tmp_path):
    net = tmp_path / "small.toml"
    net.write_text(SMALL)
    out = tmp_path / "graph.svg"
    r = petri("reach", net, "--draw", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == f"reachability graph drawn in {out}"
    root = ET.fromstring(out.read_bytes())
    states = {g.get("data-name"): g.get("class") for g in root.iter(f"{SVG}g")
              if "state" in g.get("class", "").split()}
    # {a, d} -t1-> {b, d} -t2-> {c}; back returns, loop keeps d
    assert states == {"0": "state initial", "1": "state", "2": "state deadlock"}
    edges = sorted((g.get("data-source"), g.get("data-target"), g.get("data-name"))
                   for g in root.iter(f"{SVG}g") if g.get("class") == "edge")
    assert edges == [("0", "0", "loop"), ("0", "1", "t1"), ("1", "0", "back"),
                     ("1", "1", "loop"), ("1", "2", "t2")]
    labels = [t.text for g in root.iter(f"{SVG}g") if g.get("data-name") == "2"
              for t in g.iter(f"{SVG}text")]
    assert labels == ["2", "c"]
    png = tmp_path / "graph.png"
    r = petri("reach", net, "--draw", png)
    assert r.returncode == 0 and png.read_bytes()[:4] == b"\x89PNG"


def test_large_graph_is_refused_with_a_clear_message(tmp_path):
    out = tmp_path / "graph.svg"
    r = petri("reach", EXAMPLE, "--draw", out)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == (f"petri: error: {out}: not drawn: the graph has more than 300 states; "
                        "--draw is for small graphs (write any graph with -o OUT.graphml or "
                        ".gexf and view it in Gephi or yEd)\n")
    assert not out.exists()
    r = petri("reach", EXAMPLE, "--draw", tmp_path / "graph.pdf")
    assert r.returncode == 1 and r.stderr == (f"petri: error: {tmp_path / 'graph.pdf'}: cannot "
                                              "tell the picture format from the extension (use "
                                              ".svg or .png)\n")


def test_the_two_locks_example_has_one_deadlock(tmp_path):
    out = tmp_path / "locks.svg"
    r = petri("reach", ROOT / "examples" / "two_locks.toml", "--draw", out)
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[1].startswith("States: 6   Edges: 8")
    assert "  dead markings: 1; the nearest is state 4: has_a_1, has_b_2" in lines
    root = ET.fromstring(out.read_bytes())
    dead = [g.get("data-name") for g in root.iter(f"{SVG}g")
            if "deadlock" in g.get("class", "").split()]
    assert dead == ["4"]


def test_the_docs_drawings_are_made_by_the_commands_they_show(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "docs" / "screenshots.py")
    screenshots = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(screenshots)
    screenshots.draw_all(tmp_path)
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == sorted(screenshots.DRAWINGS)
    assert all((tmp_path / n).read_bytes()[:4] == b"\x89PNG" for n in made)


def test_the_draw_and_play_example_prints_what_the_docs_show():
    r = subprocess.run([sys.executable, "examples/draw_and_play.py"], capture_output=True,
                       text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    docs = (ROOT / "docs" / "workbench.md").read_text()
    shown = docs.split("$ python examples/draw_and_play.py\n")[1].split("```")[0]
    assert r.stdout == shown
