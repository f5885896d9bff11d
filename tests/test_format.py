"""The TOML net format: loading, fusion, writing, errors, the JSON schema and ``petri validate``."""
import json
import re
import tomllib
from pathlib import Path

import pytest

from petri import DOT, Net, NetError, Token
from petri.check import check_net
from petri.cli import main
from petri.formats.toml import KEYS, check_files, dump, dumps, load, load_with_errors, loads

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "petri" / "net-format.schema.json").read_text())

LINE = """\
[net]
name = "production line"
description = "two machines, three products"

[colours]
Product = ["A", "B", "C"]
Name = "str"
Job = { product = ["Product", "int"], timed = true }
Machine = { enum = ["M1", "M2"], timed = true }
Count = { int = [0, 30] }
Pulse = { type = "dot", timed = true }
Level = { type = "int", min = 0 }

[variables]
q = "Product"

[constants]
SETUP = 30
PAIR = ["A", 2]
RATE = 0.5
ON = true

[tables.proc_time]
file = "data/proc_time.csv"
key = ["product", "machine"]
value = "seconds"

[places.raw]
colour = "Product"
initial = ["A", "A", "B"]
capacity = 10
description = "parts waiting"

[places.m1_idle]
initial = 1

[places.shift_on]
initial = 1

[places.blocked]

[places.done]
colour = "Product"

[places.jobs]
colour = "Job"
initial = [["A", 1], { colour = ["B", 2], count = 2, time = 5 }]

[places.tick]
colour = "Pulse"
initial = [{ count = 2, time = 1.5 }]

[transitions.mill]
guard = "p != 'C'"
delay = "proc_time[p, 'M1'] + SETUP"
priority = 1
inputs = [{ place = "raw", inscription = "p" }, "m1_idle"]
reads = [{ place = "shift_on" }]
inhibitors = [{ place = "blocked", weight = 2 }]
outputs = [{ place = "done", inscription = "p", delay = "5" }, "m1_idle"]

[transitions.order]
controllable = true
guard = "q != 'C'"
outputs = [{ place = "raw", inscription = "q", weight = "2 if ON else 1" }]

[transitions.pack]
inputs = [{ place = "jobs", inscription = "(p, n)" }, "tick"]
outputs = [{ place = "done", inscription = "p", weight = 2 }]
delay = 3
"""

PROC_TIME = "product,machine,seconds\nA,M1,30\nA,M2,45\nB,M1,20\nB,M2,25\nC,M1,60\nC,M2,50\n"

PT = """\
[places.free]
initial = 3

[places.busy]
capacity = 3

[transitions.start]
inputs = ["free"]
outputs = ["busy"]

[transitions.stop]
inputs = [{ place = "busy", weight = 2 }]
outputs = [{ place = "free", weight = 2 }]
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def line(tmp_path) -> Path:
    write(tmp_path, "data/proc_time.csv", PROC_TIME)
    return write(tmp_path, "line.toml", LINE)


def messages(text: str, tmp_path: Path, name: str = "net.toml") -> list[str]:
    return [str(e) for e in check_files(write(tmp_path, name, text))]


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

def test_load_reads_every_part(line):
    net = load(line)
    assert net.name == "production line"
    assert net.colour_sets["Job"].components == ("Product", "int")
    assert net.colour_sets["Job"].timed
    assert (net.colour_sets["Count"].low, net.colour_sets["Count"].high) == (0, 30)
    assert net.colour_sets["Level"].low == 0 and net.colour_sets["Level"].high is None
    assert net.constants == {"SETUP": 30, "PAIR": ("A", 2), "RATE": 0.5, "ON": True}
    assert net.tables["proc_time"]["B", "M2"] == 25
    assert net.tables["proc_time"].source == "data/proc_time.csv"
    assert net.places["raw"].capacity == 10
    assert net.places["jobs"].initial == [Token(("A", 1)), Token(("B", 2), 2, 5)]
    assert net.places["tick"].initial == [Token(DOT, 2, 1.5)]
    mill = net.transitions["mill"]
    assert [(a.place, a.pattern, a.weight, a.kind) for a in mill.inputs] == [
        ("raw", "p", 1, "normal"), ("m1_idle", None, 1, "normal"),
        ("shift_on", None, 1, "read"), ("blocked", None, 2, "inhibitor")]
    assert mill.outputs[0].delay == "5"
    assert net.origin["transition mill"] == str(line)


def test_loads_defaults_the_name_and_builds_a_pt_net():
    net = loads(PT)
    assert net.name == "net"
    assert net.is_pt()
    assert net.places["free"].initial_count() == 3


def test_name_defaults_to_the_file_stem(tmp_path):
    assert load(write(tmp_path, "cell.toml", PT)).name == "cell"


# ---------------------------------------------------------------------------------------------
# Writing: load -> dump -> load gives an equal net
# ---------------------------------------------------------------------------------------------

def test_round_trip_coloured_timed_product_table_net(line, tmp_path):
    net = load(line)
    out = tmp_path / "elsewhere" / "copy.toml"
    out.parent.mkdir()
    dump(net, out)
    assert 'file = "data/proc_time.csv"' in out.read_text()
    assert (out.parent / "data" / "proc_time.csv").read_text() == PROC_TIME
    assert load(out) == net


def test_round_trip_through_text(line):
    net = load(line)
    again = loads(dumps(net, line), path=str(line))
    assert again == net
    assert again.transitions == net.transitions


def test_round_trip_pt_net(tmp_path):
    net = loads(PT)
    text = dumps(net)
    assert "initial = 3" in text and 'inputs = ["free"]' in text
    assert loads(text) == net


def test_round_trip_net_built_in_code_writes_its_tables_beside(tmp_path):
    net = Net("odd names")
    net.add_colour_set("Part", values=["x", 'say "hi"', "tab\there", "del\x7f"])
    net.add_colour_set("Pair", components=("Part", "int"), timed=True)
    net.add_constant("LIMIT", 2.5e-7)
    net.add_table("cost", {("x", 1): 3.5, ("x", 2): 4.0}, key=("part", "n"), value="cost")
    net.add_table("speed", {"x": 1, "tab\there": 2}, key=["part"], value="speed")
    net.add_place("in queue", "Pair", initial=[("x", 1), Token(("x", 2), 3, 7)], capacity=9)
    net.add_place("out", "Part")
    net.add_transition("go on", guard="cost[p, n] > LIMIT", inputs=[("in queue", "(p, n)")],
                       outputs=[("out", "p", "n", "speed['x']")], delay=1.5)
    path = tmp_path / "odd.toml"
    dump(net, path)
    assert (tmp_path / "odd.cost.csv").read_text().splitlines()[0] == "part,n,cost"
    assert (tmp_path / "odd.speed.csv").exists()
    text = path.read_text()
    assert '[places."in queue"]' in text and 'file = "odd.cost.csv"' in text
    assert load(path) == net


POSITIONED = """\
[places.free]
initial = 3
position = [40, 120]

[places.busy]
position = [200.5, -40]

[transitions.start]
position = [120, 120]
inputs = ["free"]
outputs = ["busy"]

[transitions.stop]
inputs = ["busy"]
outputs = ["free"]
"""


def test_positions_are_read_and_written():
    net = loads(POSITIONED)
    assert net.places["free"].position == (40.0, 120.0)
    assert net.places["busy"].position == (200.5, -40.0)
    assert net.transitions["start"].position == (120.0, 120.0)
    assert net.transitions["stop"].position is None
    text = dumps(net)
    assert "position = [40, 120]" in text and "position = [200.5, -40]" in text
    again = loads(text)
    assert again == net
    assert [p.position for p in again.places.values()] == [(40.0, 120.0), (200.5, -40.0)]
    assert [t.position for t in again.transitions.values()] == [(120.0, 120.0), None]


def test_positions_are_layout_not_semantics():
    moved = loads(POSITIONED.replace("[40, 120]", "[0, 0]"))
    assert moved == loads(POSITIONED) == loads(re.sub(r"position = .*\n", "", POSITIONED))


def test_a_fused_place_is_drawn_where_the_first_file_says(tmp_path):
    a = write(tmp_path, "a.toml", PART_A.replace("capacity = 4", "capacity = 4\nposition = [1, 2]"))
    b = write(tmp_path, "b.toml", PART_B.format(initial="position = [3, 4]"))
    assert load(a, b).places["buffer"].position == (1.0, 2.0)
    assert load(b, a).places["buffer"].position == (3.0, 4.0)


def test_positions_of_nets_built_in_code_are_checked():
    net = Net()
    net.add_place("p").position = (1, "two")
    net.add_transition("t").position = (1.0,)
    assert [str(e) for e in check_net(net)] == [
        "place 'p': position must be two numbers [x, y], got (1, 'two')",
        "transition 't': position must be two numbers [x, y], got (1.0,)"]


def test_tables_built_without_column_names_get_made_up_ones(tmp_path):
    net = Net()
    net.add_table("one", {"x": 1})
    net.add_table("two", {("x", 1): 2})
    dump(net, tmp_path / "n.toml")
    again = load(tmp_path / "n.toml")
    assert (again.tables["one"].key, again.tables["one"].value) == (("key",), "value")
    assert again.tables["two"].key == ("key1", "key2")
    assert again.tables["two"].rows == {("x", 1): 2}


def test_dumps_needs_a_csv_file_for_every_table():
    net = Net()
    net.add_table("t", {1: 2})
    with pytest.raises(NetError) as e:
        dumps(net)
    assert str(e.value) == "table 't': the table has no CSV file; dump() to a path writes one"


def test_dumps_refuses_values_toml_cannot_hold():
    net = Net()
    net.add_constant("NOTHING", None)
    with pytest.raises(NetError, match="cannot write None in TOML"):
        dumps(net)


# ---------------------------------------------------------------------------------------------
# Fusion
# ---------------------------------------------------------------------------------------------

PART_A = """\
[colours]
Product = ["A", "B"]

[places.buffer]
colour = "Product"
initial = ["A", "B"]
capacity = 4

[places.raw]
colour = "Product"
initial = ["A"]

[transitions.make]
inputs = [{ place = "raw", inscription = "p" }]
outputs = [{ place = "buffer", inscription = "p" }]
"""

PART_B = """\
[colours]
Product = ["A", "B"]

[places.buffer]
colour = "Product"
{initial}
[places.shipped]
colour = "Product"

[transitions.ship]
inputs = [{{ place = "buffer", inscription = "p" }}]
outputs = [{{ place = "shipped", inscription = "p" }}]
"""


def test_fusion_shares_a_place_between_files(tmp_path):
    a = write(tmp_path, "a.toml", PART_A)
    b = write(tmp_path, "b.toml", PART_B.format(initial=""))
    net = load(a, b)
    assert set(net.places) == {"buffer", "raw", "shipped"}
    assert set(net.transitions) == {"make", "ship"}
    assert net.places["buffer"].initial_count() == 2
    assert net.places["buffer"].capacity == 4
    assert net.origin["transition ship"] == str(b)
    assert net.name == "a"


def test_fusion_accepts_an_equal_marking_in_both_files(tmp_path):
    a = write(tmp_path, "a.toml", PART_A)
    b = write(tmp_path, "b.toml", PART_B.format(initial='initial = ["B", "A"]\ncapacity = 4'))
    assert load(a, b).places["buffer"].initial_count() == 2


def test_fusion_takes_the_marking_from_the_file_that_gives_it(tmp_path):
    a = write(tmp_path, "a.toml", PART_B.format(initial=""))
    b = write(tmp_path, "b.toml", PART_A.replace('initial = ["A", "B"]', 'initial = ["A", "C"]'))
    assert [str(e) for e in check_files(a, b)] == [
        f"{b}: place 'buffer': initial token 'C' is not in colour set 'Product'"]


@pytest.mark.parametrize("b_text, message", [
    (PART_B.format(initial='initial = ["A"]'),
     "{b}: place 'buffer': fused place has different initial markings in {a} and {b} "
     "(give it in one file only)"),
    (PART_B.format(initial="capacity = 5"),
     "{b}: place 'buffer': fused place has capacity 4 in {a} but 5 in {b}"),
    (PART_B.format(initial="").replace('colour = "Product"\n', 'colour = "str"\n', 1),
     "{b}: place 'buffer': fused place has colour set 'Product' in {a} but 'str' in {b}"),
    (PART_B.format(initial="").replace('["A", "B"]', '["A", "B", "C"]'),
     "{b}: colour set 'Product': defined differently in {a} and {b}"),
    (PART_B.format(initial="") + "[transitions.make]\n",
     "{b}: transition 'make': defined in both {a} and {b}"),
])
def test_fusion_conflicts_name_both_files(tmp_path, b_text, message):
    a = write(tmp_path, "a.toml", PART_A)
    b = write(tmp_path, "b.toml", b_text)
    assert [str(e) for e in check_files(a, b)] == [message.format(a=a, b=b)]


def test_fusion_of_constants_and_tables_needs_equal_definitions(tmp_path):
    write(tmp_path, "t.csv", "k,v\n1,2\n")
    write(tmp_path, "u.csv", "k,v\n1,3\n")
    table = '[constants]\nN = {n}\n[tables.t]\nfile = "{f}"\nkey = "k"\nvalue = "v"\n'
    a = write(tmp_path, "a.toml", table.format(n=1, f="t.csv"))
    b = write(tmp_path, "b.toml", table.format(n="true", f="u.csv"))
    assert [str(e) for e in check_files(a, b)] == [
        f"{b}: constant 'N': defined differently in {a} and {b}",
        f"{b}: table 't': defined differently in {a} and {b}"]
    assert load(a, write(tmp_path, "c.toml", table.format(n=1, f="t.csv"))).constants == {"N": 1}


def test_the_same_file_twice_is_loaded_once(tmp_path):
    a = write(tmp_path, "a.toml", PART_A)
    assert load(a, a) == load(a)


# ---------------------------------------------------------------------------------------------
# Errors of form: one line each, naming file, element and what is wrong
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("[places.raw\n", "malformed TOML: Expected ']' at the end of a table declaration "
                      "(at line 1, column 12)"),
    ("[place.raw]\n", "unknown top-level key 'place' (allowed: net, colours, variables, "
                      "constants, tables, places, transitions; did you mean 'places'?)"),
    ("[places.raw]\ncolur = 'dot'\n", "place 'raw': unknown key 'colur' (allowed: colour, "
                                      "initial, capacity, description, position; did you mean "
                                      "'colour'?)"),
    ("[transitions.t]\ninputs = [{ place = 'p', wieght = 2 }]\n[places.p]\n",
     "transition 't': input arc 1: unknown key 'wieght' (allowed: place, inscription, weight; "
     "did you mean 'weight'?)"),
    ("[places.raw]\ncapacity = 'ten'\n", "place 'raw': capacity must be an integer, got 'ten'"),
    ("[places.raw]\ncapacity = true\n", "place 'raw': capacity must be an integer, got True"),
    ("[places.raw]\ninitial = -1\n", "place 'raw': initial as a number counts black tokens and "
                                     "cannot be negative, got -1"),
    ("[places.raw]\ninitial = [{ colour = 'A', cuont = 2 }]\n",
     "place 'raw': initial token 1: unknown key 'cuont' (allowed: colour, count, time; "
     "did you mean 'count'?)"),
    ("places = 3\n", "[places] must be a table, got 3"),
    ("[places]\nraw = 3\n", "place 'raw': a place must be a table with keys colour, initial, "
                            "capacity, description, position, got 3"),
    ("[places.p]\nposition = [1]\n", "place 'p': position must be two numbers [x, y], got [1]"),
    ("[places.p]\nposition = 'left'\n", "place 'p': position must be two numbers [x, y], got "
                                         "'left'"),
    ("[places.p]\nposition = [1, 2, 3]\n", "place 'p': position must be two numbers [x, y], got "
                                            "[1, 2, 3]"),
    ("[places.p]\nposition = { x = 1, y = 2 }\n", "place 'p': position must be two numbers "
                                                   "[x, y], got a table"),
    ("[places.p]\nposition = [nan, 0]\n", "place 'p': position must be two numbers [x, y], got "
                                           "[nan, 0]"),
    ("[transitions.t]\nposition = [true, 2]\n", "transition 't': position must be two numbers "
                                                 "[x, y], got [True, 2]"),
    ("[transitions.t]\nposition = ['1', 2]\n", "transition 't': position must be two numbers "
                                                "[x, y], got ['1', 2]"),
    ("[transitions.t]\nguard = true\n", "transition 't': guard must be an expression (text), "
                                        "got True"),
    ("[transitions.t]\ninputs = 'p'\n", "transition 't': inputs must be a list of arcs, got 'p'"),
    ("[transitions.t]\noutputs = [3]\n", "transition 't': output arc 1: an arc must be a place "
                                         "name or a table with keys place, inscription, weight, "
                                         "delay, got 3"),
    ("[transitions.t]\nreads = [{ inscription = 'x' }]\n",
     "transition 't': read arc 1: an arc needs a place"),
    ("[transitions.t]\ninputs = [{ place = 'p', weight = 'n' }]\n[places.p]\n",
     "transition 't': input arc 1: weight must be an integer, got 'n'"),
    ("[colours]\nP = 'string'\n", "colour set 'P': a colour set given as text must name a "
                                  "builtin (dot, int, str, bool), got 'string'; an enumeration "
                                  "is a list"),
    ("[colours]\nP = []\n", "colour set 'P': an enumeration needs at least one value"),
    ("[colours]\nP = ['a', 'a']\n", "colour set 'P': an enumeration lists a value twice"),
    ("[colours]\nP = { enum = ['a'], type = 'enum' }\n",
     "colour set 'P': a colour set table needs exactly one of type, enum, product, int"),
    ("[colours]\nP = { type = 'real' }\n", "colour set 'P': unknown type 'real' (allowed: dot, "
                                           "enum, int, str, bool, product)"),
    ("[colours]\nP = { type = 'str', min = 1 }\n",
     "colour set 'P': min does not go with type = ... (allowed: type, timed)"),
    ("[colours]\nP = { int = [3] }\n", "colour set 'P': int must be a list [low, high] of two "
                                       "integers, got [3]"),
    ("[colours]\nP = { product = ['int'] }\n", "colour set 'P': a product needs at least two "
                                               "components"),
    ("[variables]\nx = 3\n", "variable 'x': a variable is declared with the name of its colour "
                             "set (text), got 3"),
    ("[constants]\nWHEN = 1979-05-27\n", "constant 'WHEN': a constant must be text, a number, "
                                         "true/false or an array of these, got "
                                         "datetime.date(1979, 5, 27)"),
    ("[tables.t]\nfile = 'x.csv'\n", "table 't': a table needs key, value"),
])
def test_errors_of_form(tmp_path, text, message):
    path = write(tmp_path, "net.toml", text)
    assert [str(e) for e in check_files(path)] == [f"{path}: {message}"]


def test_load_raises_the_first_problem_and_counts_the_rest(tmp_path):
    path = write(tmp_path, "net.toml", "[places.a]\ncapacity = 'x'\n[places.b]\ncolur = 1\n")
    with pytest.raises(NetError) as e:
        load(path)
    assert str(e.value) == f"{path}: place 'a': capacity must be an integer, got 'x' (and 1 more problem)"
    assert len(e.value.problems) == 2


def test_semantic_errors_name_the_file(tmp_path):
    text = ("[places.raw]\ncolour = 'Prodcut'\n[colours]\nProduct = ['A']\n"
            "[transitions.t]\ninputs = ['rwa']\n")
    path = write(tmp_path, "net.toml", text)
    assert messages(text, tmp_path) == [
        f"{path}: place 'raw': unknown colour set 'Prodcut' (did you mean 'Product'?)",
        f"{path}: transition 't': input arc 1: unknown place 'rwa' (did you mean 'raw'?)"]


@pytest.mark.parametrize("name, content, message", [
    (None, None, "table 't': CSV file 'data/t.csv' not found (looked for {dir}/data/t.csv)"),
    ("data/t.csv", "", "table 't': CSV file 'data/t.csv' is empty"),
    ("data/t.csv", "product,seconds\n", "table 't': CSV file 'data/t.csv' is empty: it has a "
                                        "header but no rows"),
    ("data/t.csv", "product,secs\nA,1\n", "table 't': CSV file 'data/t.csv' has no column "
                                          "'seconds' (columns: product, secs)"),
    ("data/t.csv", "product,seconds\nA,1\nB,2\nA,3\n", "table 't': CSV file 'data/t.csv' has key "
                                                       "'A' twice: lines 2 and 4"),
    ("data/t.csv", "product,seconds\nA,\n", "table 't': CSV file 'data/t.csv' line 2: empty cell"),
    ("data/t.csv", "product,seconds\nA,1.5\nB,inf\n", "table 't': CSV file 'data/t.csv' line 3: "
                                                      "seconds must be a finite number, not 'inf'"),
    ("data/t.csv", "product,seconds\nA,NaN\nB,2\n", "table 't': CSV file 'data/t.csv' line 2: "
                                                    "seconds must be a finite number, not 'NaN'"),
])
def test_table_errors(tmp_path, name, content, message):
    if name:
        write(tmp_path, name, content)
    path = write(tmp_path, "net.toml", "[tables.t]\nfile = 'data/t.csv'\nkey = 'product'\n"
                                       "value = 'seconds'\n")
    assert [str(e) for e in check_files(path)] == [f"{path}: " + message.format(dir=tmp_path)]


def test_tables_with_several_key_columns_and_text_that_looks_missing(tmp_path):
    write(tmp_path, "t.csv", "a, b, v\nNA, 1, x\nNA, 2, None\n")
    path = write(tmp_path, "net.toml", "[tables.t]\nfile = 't.csv'\nkey = ['a', 'b']\nvalue = 'v'\n")
    assert load(path).tables["t"].rows == {("NA", 1): "x", ("NA", 2): "None"}


def test_table_keys_that_look_like_numbers_stay_what_the_column_is(tmp_path):
    write(tmp_path, "t.csv", "product,machine,seconds,fast\nINF,1,2,True\nNaN,2,2.5,false\n"
                             "A,3,1e3,TRUE\n")
    path = write(tmp_path, "net.toml", "[tables.t]\nfile = 't.csv'\nkey = ['product', 'machine']\n"
                                       "value = 'seconds'\n[tables.f]\nfile = 't.csv'\n"
                                       "key = 'product'\nvalue = 'fast'\n")
    tables = load(path).tables
    assert tables["t"].rows == {("INF", 1): 2.0, ("NaN", 2): 2.5, ("A", 3): 1000.0}
    assert [type(k[1]) for k in tables["t"].rows] == [int, int, int]
    assert tables["f"].rows == {"INF": True, "NaN": False, "A": True}


@pytest.mark.parametrize("setup, message", [
    (lambda d: None, "no such file"),
    (lambda d: (d / "net.toml").mkdir(), "is a directory, not a net file"),
    (lambda d: (d / "net.toml").write_bytes(b"name = '\xff'\n"),
     "not UTF-8 text (bad byte at offset 8); net files are UTF-8 TOML"),
])
def test_unreadable_files(tmp_path, setup, message):
    setup(tmp_path)
    path = tmp_path / "net.toml"
    net, problems = load_with_errors(path)
    assert net is None
    assert [str(e) for e in problems] == [f"{path}: {message}"]


def test_check_files_reports_every_file(tmp_path):
    a = write(tmp_path, "a.toml", "[places.p]\ncapacity = 'x'\n")
    b = write(tmp_path, "b.toml", "[places.q]\ncolur = 1\n")
    c = write(tmp_path, "c.toml", "x = \n")
    assert [e.file for e in check_files(a, b, c)] == [str(a), str(b), str(c)]


# ---------------------------------------------------------------------------------------------
# petri validate
# ---------------------------------------------------------------------------------------------

def test_validate_command_ok(line, capsys):
    assert main(["validate", str(line)]) == 0
    assert capsys.readouterr().out == f"{line}: ok (7 places, 3 transitions)\n"


def test_validate_command_fused_files(tmp_path, capsys):
    a = write(tmp_path, "a.toml", PART_A)
    b = write(tmp_path, "b.toml", PART_B.format(initial=""))
    assert main(["validate", str(a), str(b)]) == 0
    assert capsys.readouterr().out == f"{a} + {b}: ok (3 places, 2 transitions)\n"


def test_validate_command_prints_one_line_per_problem(tmp_path, capsys):
    bad = write(tmp_path, "bad.toml", "[places.p]\ncapacity = 'x'\ncolur = 1\n")
    assert main(["validate", str(bad), str(tmp_path / "missing.toml"), str(tmp_path)]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.splitlines() == [
        f"{bad}: place 'p': unknown key 'colur' (allowed: colour, initial, capacity, "
        f"description, position; did you mean 'colour'?)",
        f"{bad}: place 'p': capacity must be an integer, got 'x'",
        f"{tmp_path / 'missing.toml'}: no such file",
        f"{tmp_path}: is a directory, not a net file"]
    assert "Traceback" not in out.err


def test_validate_command_bad_toml_and_bytes(tmp_path, capsys):
    a = write(tmp_path, "a.toml", "[net\n")
    b = tmp_path / "b.toml"
    b.write_bytes(b"\x80\x81")
    assert main(["validate", str(a), str(b)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{a}: malformed TOML: ") and "(at line 1, column 5)" in err[0]
    assert err[1] == f"{b}: not UTF-8 text (bad byte at offset 0); net files are UTF-8 TOML"


# ---------------------------------------------------------------------------------------------
# The JSON schema
# ---------------------------------------------------------------------------------------------

def _properties(ref: str) -> tuple:
    node = SCHEMA["$defs"][ref]
    if "anyOf" in node:
        node = next(n for n in node["anyOf"] if n.get("type") == "object")
    return tuple(node["properties"])


def test_schema_keys_are_the_loader_keys():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert tuple(SCHEMA["properties"]) == KEYS["top-level"]
    assert tuple(SCHEMA["properties"]["net"]["properties"]) == KEYS["net"]
    colour_table = next(n for n in SCHEMA["$defs"]["colourSet"]["anyOf"]
                        if n.get("type") == "object")
    assert tuple(colour_table["properties"]) == KEYS["colour set"]
    assert _properties("table") == KEYS["table"]
    assert _properties("place") == KEYS["place"]
    assert _properties("token") == KEYS["token"]
    assert _properties("transition") == KEYS["transition"]
    assert _properties("inputArc") == KEYS["input arc"]
    assert _properties("outputArc") == KEYS["output arc"]


def _doc_blocks(kind: str) -> list[str]:
    text = (ROOT / "docs" / "net-format.md").read_text(encoding="utf-8")
    return re.findall(rf"```{kind}\n(.*?)```", text, flags=re.S)


EXAMPLES = {"line": LINE, "pt": PT, "part a": PART_A, "part b": PART_B.format(initial=""),
            "positioned": POSITIONED}


def _examples() -> list[tuple[str, str]]:
    return list(EXAMPLES.items()) + [(f"docs block {i}", b)
                                     for i, b in enumerate(_doc_blocks("toml"), 1)]


@pytest.mark.parametrize("name, text", _examples())
def test_examples_follow_the_schema(name, text):
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(tomllib.loads(text), SCHEMA, cls=jsonschema.Draft202012Validator)


def test_schema_rejects_what_the_loader_rejects():
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for text in ("[place.raw]\n", "[places.raw]\ncolur = 'dot'\n", "[colours]\nP = 'string'\n",
                 "[colours]\nP = { enum = ['a'], type = 'enum' }\n",
                 "[transitions.t]\ninputs = [{ place = 'p', weight = 'n' }]\n",
                 "[places.p]\nposition = [1]\n", "[transitions.t]\nposition = ['1', 2]\n"):
        assert not validator.is_valid(tomllib.loads(text)), text


def test_the_worked_example_of_the_docs_loads(tmp_path):
    write(tmp_path, "data/proc_time.csv", _doc_blocks("csv")[0])
    net = load(write(tmp_path, "line.toml", _doc_blocks("toml")[0]))
    assert net.transitions and net.tables


def test_writer_refuses_a_bad_position_with_a_clear_message():
    net = Net("drawn")
    net.add_place("p").position = ("a", 1)
    with pytest.raises(NetError) as e:
        dumps(net)
    assert str(e.value) == "place 'p': position must be two numbers [x, y], got ('a', 1)"
