"""PNML import and export: P/T nets, pages, positions, the coloured dialect and bad input."""
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from petri import Net, Token
from petri.formats import pnml, toml
from petri.model import NetError

DATA = Path(__file__).parent / "data" / "mcc"
PT = pnml.PTNET_TYPE


def doc(body, net_type=PT, extra=""):
    return (f'<?xml version="1.0"?>\n<pnml xmlns="http://www.pnml.org/version-2009/grammar/pnml">'
            f'{extra}<net id="n" type="{net_type}"><name><text>test</text></name>{body}</net></pnml>')


def test_mcc_net_is_read_completely():
    net = pnml.load(DATA / "FMS-PT-00002.pnml")
    assert net.name == "FMS-PT-00002"
    assert (len(net.places), len(net.transitions)) == (22, 20)
    assert sum(len(t.inputs) + len(t.outputs) for t in net.transitions.values()) == 50
    assert net.places["P1"].initial_count() == 2
    assert net.places["M1"].initial_count() == 3
    assert net.is_pt()
    assert net.places["P1"].position == (458.0, 100.0)
    assert net.transitions["tP1"].position == (457.0, 139.0)


def positions(net):
    return {**{f"place {n}": p.position for n, p in net.places.items()},
            **{f"transition {n}": t.position for n, t in net.transitions.items()}}


def written_positions(text):
    """Node name -> the x and y attributes exactly as written in a PNML document."""
    found = {}
    for e in ET.fromstring(text.encode() if isinstance(text, str) else text).iter():
        kind = e.tag.rsplit("}", 1)[-1]
        if kind in ("place", "transition"):
            name = e.find("./{*}name/{*}text")
            xy = e.find("./{*}graphics/{*}position")
            found[f"{kind} {name.text if name is not None else e.get('id')}"] = (
                None if xy is None else (xy.get("x"), xy.get("y")))
    return found


def test_round_trip_keeps_net_positions_and_pages():
    net = pnml.load(DATA / "Philosophers-PT-000005.pnml")
    again = pnml.loads(pnml.dumps(net))
    assert again == net
    assert positions(again) == positions(net)
    assert [(pid, name) for pid, name, _ in again.pages] == [("page0", "DefaultPage")]


@pytest.mark.parametrize("file", ["Philosophers-PT-000005.pnml", "FMS-PT-00002.pnml",
                                  "Kanban-PT-00005.pnml"])
def test_pnml_to_toml_to_pnml_keeps_every_position_exactly(file):
    source = (DATA / file).read_bytes()
    net = pnml.loads(source)
    assert all(p is not None for p in positions(net).values())
    through_toml = toml.loads(toml.dumps(net))
    assert positions(through_toml) == positions(net)
    assert written_positions(pnml.dumps(through_toml)) == written_positions(source)


def test_nodes_without_positions_are_laid_out_without_overlap():
    net = toml.loads("""
[places.free]
initial = 2
[places.busy]
[places.done]
[places.spare]
[transitions.start]
inputs = ["free"]
outputs = ["busy"]
[transitions.stop]
inputs = ["busy"]
outputs = ["done", "free"]
[transitions.supply]
outputs = ["spare"]
""")
    text = pnml.dumps(net)
    written = written_positions(text)
    assert len(written) == 7 and None not in written.values()
    assert len(set(written.values())) == 7
    assert pnml.dumps(net) == text                               # deterministic
    layout = pnml.layout(net)
    # left to right by distance from the marked place, 80 apart
    assert [layout[k][0] for k in ("place free", "transition start", "place busy",
                                   "transition stop", "place done")] == [40, 120, 200, 280, 360]
    assert layout["transition supply"][0] == 40                 # a source starts its own part
    assert positions(pnml.loads(text)) == layout


def test_a_big_net_without_graphics_gets_distinct_positions():
    net = pnml.load(DATA / "Dekker-PT-010.pnml")
    assert all(p is None for p in positions(net).values())
    written = written_positions(pnml.dumps(toml.loads(toml.dumps(net))))
    assert len(written) == 170 and None not in written.values()
    assert len(set(written.values())) == 170


def test_positioned_nodes_stay_and_the_others_go_below_them():
    net = Net("half drawn")
    net.add_place("a", initial=1).position = (300.0, 500.5)
    net.add_place("b")
    net.add_transition("t", inputs=["a"], outputs=["b"]).position = (10.0, 20.0)
    layout = pnml.layout(net)
    assert layout["place a"] == (300.0, 500.5) and layout["transition t"] == (10.0, 20.0)
    assert layout["place b"][1] > 500.5
    assert written_positions(pnml.dumps(net))["place a"] == ("300", "500.5")


MULTI_PAGE = doc("""
  <page id="top"><name><text>top</text></name>
    <place id="p1"><name><text>start</text></name><initialMarking><text>2</text></initialMarking>
      <graphics><position x="10" y="20"/></graphics></place>
    <transition id="t1"><name><text>go</text></name></transition>
    <arc id="a1" source="p1" target="t1"><inscription><text>2</text></inscription></arc>
    <arc id="a2" source="t1" target="r1"/>
    <referencePlace id="r1" ref="p2"/>
    <page id="sub"><name><text>sub</text></name>
      <place id="p2"><name><text>end</text></name></place>
      <transition id="t2"/>
      <arc id="a3" source="p2" target="t2"/>
      <arc id="a4" source="t2" target="p1"/>
    </page>
  </page>""")


def test_pages_and_reference_nodes():
    net = pnml.loads(MULTI_PAGE)
    assert sorted(net.places) == ["end", "start"]
    assert sorted(net.transitions) == ["go", "t2"]           # no name: the id
    go = net.transitions["go"]
    assert [(a.place, a.weight) for a in go.inputs] == [("start", 2)]
    assert [a.place for a in go.outputs] == ["end"]           # through the reference place
    assert net.places["start"].initial == [Token((), 2)]
    assert {k: p for k, p in positions(net).items() if p} == {"place start": (10.0, 20.0)}
    assert [(p, n, sorted(k)) for p, n, k in net.pages] == [
        ("top", "top", ["place start", "transition go"]),
        ("sub", "sub", ["place end", "transition t2"])]
    text = pnml.dumps(net)
    again = pnml.loads(text)
    assert again == net and again.pages == net.pages
    assert positions(again)["place start"] == (10.0, 20.0)


def test_core_model_is_read_with_unit_weights():
    net = pnml.loads(doc('<page id="g"><place id="a"/><transition id="t"/>'
                         '<arc id="x" source="a" target="t"/></page>', pnml.CORE_TYPE))
    assert list(net.places) == ["a"] and net.transitions["t"].inputs[0].weight == 1


def test_inhibitor_and_read_arcs_written_by_other_tools():
    net = pnml.loads(doc('<page id="g"><place id="a"/><place id="b"/><transition id="t"/>'
                         '<arc id="x" source="a" target="t"><type value="inhibitor"/></arc>'
                         '<arc id="y" source="b" target="t" type="tapnInhibitor"/></page>'))
    assert [a.kind for a in net.transitions["t"].inputs] == ["inhibitor", "inhibitor"]


def coloured_net():
    net = Net("factory", description="two machines")
    net.add_colour_set("Product", values=["A", "B"])
    net.add_colour_set("Job", components=["Product", "int"], timed=True)
    net.add_colour_set("Count", "int", low=0, high=9)
    net.add_constant("SETUP", 30)
    net.add_table("proc", {("A", "M1"): 5, ("B", "M1"): 7}, key=("product", "machine"),
                  value="seconds")
    net.add_place("raw", "Product", initial={"A": 2, "B": 1}, capacity=10,
                  description="parts waiting")
    net.add_place("jobs", "Job", initial=[Token(("A", 1), 1, 3)])
    net.add_place("idle", initial=1)
    net.add_place("blocked")
    net.add_place("done", "Product")
    net.add_transition("mill", inputs=[("raw", "p"), "idle"], reads=[("jobs", "(p, n)")],
                       inhibitors=[("blocked", None, 2)],
                       outputs=[("done", "p", 2, "SETUP"), "idle"], guard="p != 'C'",
                       delay="proc[p, 'M1']", priority=2, controllable=True)
    return net


def test_coloured_dialect_round_trip():
    net = coloured_net()
    text = pnml.dumps(net)
    assert f'type="{pnml.COLOURED_NET_TYPE}"' in text
    again = pnml.loads(text)
    assert again == net
    assert again.description == "two machines"
    assert again.places["raw"].description == "parts waiting"
    assert again.tables["proc"].rows == {("A", "M1"): 5, ("B", "M1"): 7}


def test_pt_net_with_extras_stays_ptnet():
    net = Net("extras")
    net.add_place("a", initial=1, capacity=3)
    net.add_place("b")
    net.add_transition("t", inputs=["a"], outputs=["b"], reads=["b"], delay=4, priority=1)
    text = pnml.dumps(net)
    assert f'type="{PT}"' in text
    assert pnml.loads(text) == net


@pytest.mark.parametrize("text, message", [
    ("<pnml><net", "t.pnml: malformed XML: unclosed token at line 1, column 6"),
    ("<nets/>", "t.pnml: not a PNML document: the root element is <nets>, expected <pnml>"),
    ('<pnml xmlns="http://www.pnml.org/version-2009/grammar/pnml"/>',
     "t.pnml: the PNML document holds no <net>"),
    ("<pnml/>", 't.pnml: the <pnml> element has no namespace; PNML documents use '
                'xmlns="http://www.pnml.org/version-2009/grammar/pnml"'),
    ('<pnml xmlns="http://www.pnml.org/version-2005/grammar/pnml"/>',
     "t.pnml: the <pnml> element is in the namespace "
     "'http://www.pnml.org/version-2005/grammar/pnml'; PNML documents use "
     'xmlns="http://www.pnml.org/version-2009/grammar/pnml"'),
    (doc("", "http://www.pnml.org/version-2009/grammar/symmetricnet"),
     "t.pnml: net 'n': unsupported PNML net type "
     "'http://www.pnml.org/version-2009/grammar/symmetricnet' (supported: ptnet "
     f"{PT}, pnmlcoremodel {pnml.CORE_TYPE}, and this toolkit's coloured dialect "
     f"{pnml.COLOURED_NET_TYPE})"),
    (doc('<page id="g"><place id="a"/><arc id="x" source="a" target="zz"/></page>'),
     "t.pnml: arc 'x': 'zz' is not a place or transition of this net"),
    (doc('<page id="g"><place id="a"/><place id="b"/><arc id="x" source="a" target="b"/></page>'),
     "t.pnml: arc 'x': connects two places ('a' and 'b'); an arc joins a place and a transition"),
    (doc('<page id="g"><place id="a"><initialMarking><text>-1</text></initialMarking></place>'
         '</page>'),
     "t.pnml: place 'a': the initial marking must be at least 0, not -1"),
    (doc('<page id="g"><place id="a"/><transition id="t"/><arc id="x" source="a" target="t">'
         '<inscription><text>two</text></inscription></arc></page>'),
     "t.pnml: arc 'x': an arc inscription must be an integer, not 'two'"),
    (doc('<page id="g"><place id="a"/><transition id="a"/></page>'),
     "t.pnml: transition 'a': the id 'a' is used twice"),
    (doc('<page id="g"><referencePlace id="r" ref="t"/><transition id="t"/></page>'),
     "t.pnml: referencePlace 'r': refers to 't', which is a transition, not a place"),
])
def test_bad_input_is_reported_in_one_line(text, message):
    with pytest.raises(NetError) as e:
        pnml.loads(text, file="t.pnml")
    assert str(e.value) == message


def test_entity_expansion_and_external_entities_are_refused(tmp_path):
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            '<pnml>&lol2;</pnml>')
    with pytest.raises(NetError) as e:
        pnml.loads(bomb, file="b.pnml")
    assert str(e.value) == ("b.pnml: unsafe XML refused (a DOCTYPE): PNML files may not have a "
                            "DOCTYPE, declare entities or refer to external resources")
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    xxe = (f'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file://{secret}">]>'
           '<pnml><net id="n" type="{PT}"><name><text>&x;</text></name></net></pnml>')
    with pytest.raises(NetError, match="unsafe XML refused"):
        pnml.loads(xxe)


def test_an_external_dtd_is_refused_before_anything_is_fetched():
    text = doc("").replace('<?xml version="1.0"?>\n', '<?xml version="1.0"?>\n<!DOCTYPE pnml '
                           'SYSTEM "http://example.invalid/pnml.dtd">\n')
    with pytest.raises(NetError) as e:
        pnml.loads(text, file="d.pnml")
    assert str(e.value) == ("d.pnml: unsafe XML refused (a DOCTYPE): PNML files may not have a "
                            "DOCTYPE, declare entities or refer to external resources")


def test_a_fifo_given_as_a_pnml_file_is_refused_at_once(tmp_path):
    import os
    fifo = tmp_path / "net.pnml"
    os.mkfifo(fifo)
    with pytest.raises(NetError) as e:
        pnml.load(fifo)
    assert str(e.value) == f"{fifo}: is a FIFO (named pipe), not a PNML file"


def test_a_pnml_file_over_the_size_limit_is_refused(tmp_path):
    big = tmp_path / "big.pnml"
    big.write_text(doc("<!--" + "x" * 3000 + "-->"))
    with pytest.raises(NetError) as e:
        pnml.load(big, max_bytes=2048)
    assert str(e.value) == (f"{big}: {big.stat().st_size:,} bytes, more than the limit of "
                            "2,048 bytes for a PNML file (raise it with PETRI_MAX_FILE_MIB)")


def test_names_equal_to_other_nodes_ids_fall_back_to_ids():
    # place p1 is named "p2", the id of an unnamed place: names would clash, ids are used
    net = pnml.loads(doc('<page id="g"><place id="p1"><name><text>p2</text></name></place>'
                         '<place id="p2"/><place id="p3"><name><text>third</text></name>'
                         '</place></page>'))
    assert sorted(net.places) == ["p1", "p2", "p3"]
    net = pnml.loads(doc('<page id="g"><place id="p1"><name><text>first</text></name></place>'
                         '<place id="p2"><name><text>second</text></name></place></page>'))
    assert sorted(net.places) == ["first", "second"]
