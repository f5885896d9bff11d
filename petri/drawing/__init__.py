"""Pictures of nets and of their state spaces, computed and written in Python.

* ``layout``: where nodes go (positions from the file, else a layered left-to-right layout);
* ``scene``: a net as shapes (places, transitions, arcs, tokens, legend);
* ``svg`` / ``png``: a scene as an SVG document (our own writer) or a PNG image (matplotlib);
* ``graphs``: reachability graphs as pictures.

Drawing never changes the net and never runs it: a marking or the enabled transitions to show
are given by the caller (the engine computes them).

>>> from petri import Net
>>> net = Net("pair"); _ = net.add_place("a", initial=1); _ = net.add_place("b")
>>> _ = net.add_transition("t", inputs=["a"], outputs=["b"])
>>> net_svg(net).count("<circle class=\\"shape\\"")     # two places and the legend's place
3
"""
from __future__ import annotations

from .layout import Layout, layered, net_layout
from .png import scene_to_png
from .scene import Scene, fused_places, net_scene
from .svg import scene_to_svg

__all__ = ["fused_places", "Layout", "Scene", "layered", "net_layout", "net_scene", "scene_to_svg",
           "scene_to_png", "net_svg", "net_png"]


def net_svg(net, **options) -> str:
    """The net as SVG text; ``options`` as ``net_scene`` (marking, enabled, fused)."""
    return scene_to_svg(net_scene(net, **options))


def net_png(net, **options) -> bytes:
    """The net as PNG bytes (needs matplotlib); ``options`` as ``net_scene``."""
    return scene_to_png(net_scene(net, **options))
