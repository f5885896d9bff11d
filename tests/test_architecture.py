"""What may import what (docs/architecture.md): the generic layers never name a case study.

Every module under ``petri/``, ``control/`` and ``kpi/`` outside the case-study subpackages is
parsed; its imports (``import``, ``from ... import``, relative ones resolved, and the string
given to ``importlib.import_module``) are checked against the rules, and its text must not
name FlowFactory nor use a FlowFactory station, store, place, transition or table as a string.
"""
import ast
import configparser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def plugin_packages() -> list[str]:
    """The packages of the case studies this distribution registers (setup.cfg's
    ``petri.plugins`` entry points), e.g. ``control.flowfactory``."""
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    lines = cfg["options.entry_points"]["petri.plugins"].strip().splitlines()
    return [line.split("=", 1)[1].strip().split(":")[0] for line in lines]


PLUGINS = plugin_packages()
#: the case studies' packages: their plugin packages, their kpi subpackages, and the net files
CASE_STUDIES = tuple(PLUGINS) + tuple(f"kpi.{p.rpartition('.')[2]}" for p in PLUGINS) + ("nets",)
#: plain words FlowFactory also uses as names, used generically as column names
GENERIC_WORDS = {"release", "transport"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def generic_modules() -> list[Path]:
    out = []
    for top in ("petri", "control", "kpi"):
        for path in sorted((ROOT / top).rglob("*.py")):
            name = module_name(path)
            if not any(name == c or name.startswith(c + ".") for c in CASE_STUDIES):
                out.append(path)
    return out


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, as absolute dotted names."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module
            found.add(prefix)
            found.update(f"{prefix}.{a.name}" for a in node.names)
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            found.add(node.args[0].value)
    return found


def names_of(mods: set[str], *packages: str) -> set[str]:
    return {m for m in mods for p in packages if m == p or m.startswith(p + ".")}


MODULES = generic_modules()


def test_the_generic_modules_are_found():
    assert "control.flowfactory" in PLUGINS
    names = {module_name(p) for p in MODULES}
    assert {"petri", "petri.engine", "petri.registry", "control.registry", "control.actions",
            "kpi.stations"} <= names
    assert not names_of(names, *PLUGINS)


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_generic_modules_never_import_a_case_study(path):
    assert names_of(imports(path), *CASE_STUDIES) == set()
    assert "flowfactory" not in path.read_text(encoding="utf-8").lower()


@pytest.mark.parametrize("path", MODULES, ids=module_name)
def test_layers(path):
    name, mods = module_name(path), imports(path)
    if name.startswith("petri"):           # the library knows no controller and no KPI
        assert names_of(mods, "control", "kpi") == set()
    else:                                  # control and kpi use the public petri modules only
        assert names_of(mods, "petri.compiler") == set()
        assert {m for m in mods - {"__future__", "__future__.annotations"}
                if any(part.startswith("_") for part in m.split("."))} == set()
    if name.startswith("kpi"):             # measures read event logs, not controllers
        assert names_of(mods, "control") == set()
    if name in ("petri.engine", "petri.compiler", "petri.model", "petri.structure"):
        assert names_of(mods, "petri.formats", "petri.commands", "petri.cli") == set()


def test_no_generic_module_uses_a_flowfactory_name():
    from control.flowfactory import plant
    net = plant.load_plant()
    names = (set(net.places) | set(net.transitions) | set(net.tables) | set(plant.STORES)
             | {station for station, _ in plant.STATIONS.values()}) - GENERIC_WORDS
    hits = []
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and node.value in names:
                hits.append(f"{module_name(path)}:{node.lineno}: {node.value!r}")
    assert hits == []


def test_the_import_parser_sees_relative_and_dynamic_imports(tmp_path, monkeypatch):
    """The checks above would catch a case study imported in any of these ways."""
    pkg = ROOT / "petri" / "commands"
    assert {"petri.registry", "petri.registry.Registry"} <= imports(pkg / "__init__.py")
    fake = tmp_path / "x.py"
    fake.write_text("from ..control.flowfactory import plant\n"
                    "import importlib\nimportlib.import_module('kpi.flowfactory.bounds')\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path.parent)
    found = imports(fake)
    assert names_of(found, *CASE_STUDIES) == {"control.flowfactory", "control.flowfactory.plant",
                                              "kpi.flowfactory.bounds"}
