"""Round trips that keep data: TOML -> PNML -> TOML gives an equal net, tables (as CSV files
beside the TOML), positions, colour sets and read/inhibitor arcs included; PNML table names
and sources never write outside the export folder."""
import csv
import string
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from petri import Net, Token
from petri.cli import main
from petri.errors import NetError
from petri.formats import pnml, toml

LINE = """\
[colours]
Product = { enum = ["A", "B"], timed = true }

[tables.proc_time]
file = "data/proc_time.csv"
key = ["product", "machine"]
value = "seconds"

[places.raw]
colour = "Product"
initial = ["A", "B", "B"]
position = [40, 80]

[places.m1]
initial = 1
position = [120, 20]

[places.blocked]

[places.done]
colour = "Product"
position = [200.5, 80]

[transitions.mill]
delay = "proc_time[p, 'M1']"
position = [120, 80]
inputs = [{ place = "raw", inscription = "p" }]
reads = ["m1"]
inhibitors = [{ place = "blocked", weight = 2 }]
outputs = [{ place = "done", inscription = "p" }]
"""

PROC_TIME = "product,machine,seconds\nA,M1,30.5\nB,M1,20\n"


@pytest.fixture
def line(tmp_path) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "proc_time.csv").write_text(PROC_TIME)
    path = tmp_path / "line.toml"
    path.write_text(LINE)
    return path


def positions(net, like=None):
    """Node positions; with ``like``, only of the nodes that have one in the net ``like``
    (PNML gives every node a position: the others are laid out when it is written)."""
    like = like or net
    return ({n: p.position for n, p in net.places.items() if like.places[n].position},
            {n: t.position for n, t in net.transitions.items() if like.transitions[n].position})


def test_pnml_to_toml_writes_the_tables_as_csv_beside_the_toml(line, tmp_path, capsys):
    as_pnml = tmp_path / "line.pnml"
    assert main(["export", str(line), "--to", "pnml", "-o", str(as_pnml)]) == 0
    back = tmp_path / "back" / "line.toml"
    assert main(["export", str(as_pnml), "--to", "toml", "-o", str(back)]) == 0
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"{back}: written (4 places, 1 transitions, 1 table(s) as CSV beside it)")
    assert 'file = "data/proc_time.csv"' in back.read_text()
    with open(back.parent / "data" / "proc_time.csv", newline="") as f:
        assert list(csv.reader(f)) == [["product", "machine", "seconds"], ["A", "M1", "30.5"],
                                       ["B", "M1", "20.0"]]
    original, again = toml.load(line), toml.load(back)
    assert again == original
    assert again.tables["proc_time"].rows == {("A", "M1"): 30.5, ("B", "M1"): 20}
    assert positions(again, original) == positions(original)
    assert again.places["blocked"].position is not None            # laid out
    assert again.colour_sets["Product"].timed
    mill = again.transitions["mill"]
    assert [(a.place, a.kind, a.weight) for a in mill.inputs] == [
        ("raw", "normal", 1), ("m1", "read", 1), ("blocked", "inhibitor", 2)]


def test_export_to_toml_beside_the_source_references_its_csv_file(line, tmp_path, capsys):
    copy = tmp_path / "copy.toml"
    assert main(["export", str(line), "--to", "toml", "-o", str(copy)]) == 0
    assert 'file = "data/proc_time.csv"' in copy.read_text()
    assert (tmp_path / "data" / "proc_time.csv").read_text() == PROC_TIME    # untouched
    assert toml.load(copy) == toml.load(line)


def test_export_refuses_its_own_input_links_and_existing_files(line, tmp_path, capsys):
    export = ["export", str(line), "--to", "toml", "-o"]
    assert main(export + [str(line), "--force"]) == 1
    assert capsys.readouterr().err == (f"petri: error: {line}: is an input of this command; "
                                       "write the output to another file\n")
    assert line.read_text() == LINE
    out = tmp_path / "out.pnml"
    assert main(["export", str(line), "--to", "pnml", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["export", str(line), "--to", "pnml", "-o", str(out)]) == 1
    assert capsys.readouterr().err == (f"petri: error: {out}: already exists; use --force to "
                                       "overwrite it\n")
    assert main(["export", str(line), "--to", "pnml", "-o", str(out), "--force"]) == 0
    capsys.readouterr()
    link = tmp_path / "link.pnml"
    link.symlink_to(tmp_path / "elsewhere.pnml")
    assert main(["export", str(line), "--to", "pnml", "-o", str(link), "--force"]) == 1
    assert capsys.readouterr().err == (
        f"petri: error: {link}: is a symbolic link; outputs are not written through links "
        "(give the path of the file itself)\n")
    assert not (tmp_path / "elsewhere.pnml").exists()


def test_export_to_toml_over_its_own_table_is_refused(line, tmp_path, capsys):
    # the CSV written for a PNML table would replace the CSV file the command read
    as_pnml = tmp_path / "line.pnml"
    assert main(["export", str(line), "--to", "pnml", "-o", str(as_pnml)]) == 0
    capsys.readouterr()
    assert main(["simulate", str(line), "--events", str(tmp_path / "data" / "proc_time.csv"),
                 "--force"]) == 1
    assert capsys.readouterr().err == (
        f"petri: error: {tmp_path / 'data' / 'proc_time.csv'}: is an input of this command; "
        "write the output to another file\n")
    assert (tmp_path / "data" / "proc_time.csv").read_text() == PROC_TIME


def test_tables_outside_the_folder_need_allow_outside_tables(line, tmp_path, capsys):
    inner = tmp_path / "nets"
    inner.mkdir()
    net = inner / "line.toml"
    net.write_text(LINE.replace('"data/proc_time.csv"', '"../data/proc_time.csv"'))
    assert main(["validate", str(net)]) == 1
    assert capsys.readouterr().err == (
        f"{net}: table 'proc_time': CSV file '../data/proc_time.csv' goes above the net's "
        "folder (..); it must lie in the net's folder; allow it with --allow-outside-tables "
        "(allow_outside=True in Python)\n")
    assert main(["validate", str(net), "--allow-outside-tables"]) == 0


def pnml_with_table(name: str, source: str) -> str:
    return (f'<pnml xmlns="{pnml.PNML_NS}"><net id="n" type="{pnml.COLOURED_NET_TYPE}">'
            f'<toolspecific tool="petri-flow" version="1"><colourset name="P" kind="enum">'
            f"<value>'A'</value></colourset>"
            f'<table name="{name}" key="p" value="v" source="{source}">'
            f"<row key=\"'A'\">1</row></table></toolspecific>"
            '<page id="g"><place id="a"><toolspecific tool="petri-flow" version="1" colour="P">'
            "<token count=\"1\">'A'</token></toolspecific></place></page></net></pnml>")


def test_a_pnml_table_name_cannot_write_outside_the_export_folder(tmp_path, capsys):
    evil = tmp_path / "evil.pnml"
    evil.write_text(pnml_with_table("../../escape", "x.txt"))
    out = tmp_path / "deep" / "out" / "net.toml"
    assert main(["export", str(evil), "--to", "toml", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("petri: error: ") and "table '../../escape'" in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["evil.pnml"]
    # reading the file refuses the name; a net built in code with such a table name: dump
    # refuses it too
    with pytest.raises(NetError, match="table '../../escape'"):
        pnml.loads(pnml_with_table("../../escape", "x.txt"))
    from petri.model import Table
    net = Net("n")
    net.add_place("a", initial=1)
    net.tables["../../escape"] = Table("../../escape", {"A": 1}, ("p",), "v", "x.txt")
    with pytest.raises(NetError) as e:
        toml.dump(net, out)
    assert str(e.value) == ("table '../../escape': the table's name cannot name a CSV file (use "
                            "letters, digits and _)")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["evil.pnml"]


@pytest.mark.parametrize("source", ["../../escape.csv", "/tmp/escape.csv", "a/../../b.csv",
                                    "data.txt", ""])
def test_a_pnml_table_source_outside_the_folder_is_written_beside_instead(tmp_path, source):
    net = pnml.loads(pnml_with_table("t", source))
    out = tmp_path / "out" / "net.toml"
    toml.dump(net, out)
    assert sorted(p.name for p in out.parent.iterdir()) == ["net.t.csv", "net.toml"]
    assert 'file = "net.t.csv"' in out.read_text()
    assert toml.load(out).tables["t"].rows == {"A": 1}


# ---------------------------------------------------------------------------------------------
# Any net of this shape: TOML -> PNML -> TOML gives it back
# ---------------------------------------------------------------------------------------------

_names = st.text(string.ascii_lowercase, min_size=1, max_size=6)
_numbers = st.one_of(st.integers(-10**6, 10**6),
                     st.floats(-1e6, 1e6, allow_nan=False).filter(lambda x: x != int(x)))


@st.composite
def nets(draw):
    """Coloured nets with a table (scalar or pair keys, whole or fractional values), positions
    on some nodes, timed tokens, read and inhibitor arcs."""
    products = draw(st.lists(st.text(string.ascii_uppercase, min_size=1, max_size=3),
                             min_size=1, max_size=4, unique=True))
    net = Net(draw(_names))
    timed = draw(st.booleans())
    net.add_colour_set("Product", values=products, timed=timed)
    pairs = draw(st.booleans())
    keys = [(p, m) for p in products for m in ("M1", "M2")] if pairs else products
    net.add_table("work", {k: draw(_numbers) for k in keys},
                  key=("product", "machine") if pairs else ("product",), value="seconds",
                  source=draw(st.sampled_from([None, "data/work.csv", "work.csv"])))
    initial = [Token(draw(st.sampled_from(products)), draw(st.integers(1, 3)),
                     draw(st.sampled_from([0, 1.5, 7] if timed else [0])))
               for _ in range(draw(st.integers(0, 3)))]
    for name, colour, tokens in (("raw", "Product", initial), ("done", "Product", []),
                                 ("gate", "dot", draw(st.integers(0, 2))), ("stop", "dot", 0)):
        place = net.add_place(name, colour, initial=tokens)
        if draw(st.booleans()):
            place.position = (draw(st.integers(-500, 500)), draw(st.integers(-500, 500)) + 0.5)
    delay = "work[p, 'M1']" if pairs else "work[p]"
    t = net.add_transition("run", delay=delay, inputs=[("raw", "p")], outputs=[("done", "p")],
                           reads=["gate"] if draw(st.booleans()) else [],
                           inhibitors=[("stop", None, draw(st.integers(1, 3)))])
    if draw(st.booleans()):
        t.position = (draw(st.integers(0, 900)), 40)
    return net


@settings(max_examples=40, deadline=None)
@given(nets())
def test_toml_pnml_toml_keeps_every_net(tmp_path_factory, net):
    folder = tmp_path_factory.mktemp("trip")
    first = folder / "a" / "net.toml"
    toml.dump(net, first)
    loaded = toml.load(first)
    assert loaded == net
    through = pnml.loads(pnml.dumps(loaded))
    second = folder / "b" / "net.toml"
    toml.dump(through, second)
    again = toml.load(second)
    assert again == net
    assert again.tables["work"].rows == net.tables["work"].rows
    assert positions(again, net) == positions(net)
    assert {n: [(a.place, a.kind, a.weight) for a in t.inputs]
            for n, t in again.transitions.items()} == {
        n: [(a.place, a.kind, a.weight) for a in t.inputs] for n, t in net.transitions.items()}
    assert again.colour_sets == net.colour_sets


def test_dump_refuses_to_write_a_table_over_an_existing_file_without_force(tmp_path):
    net = Net("n")
    net.add_table("t", {"a": 1}, key=("k",), value="v")
    out = tmp_path / "n.toml"
    (tmp_path / "n.t.csv").write_text("mine\n")
    with pytest.raises(NetError) as e:
        toml.dump(net, out, force=False)
    assert str(e.value) == f"{tmp_path / 'n.t.csv'}: already exists; use --force to overwrite it"
    assert (tmp_path / "n.t.csv").read_text() == "mine\n" and not out.exists()
