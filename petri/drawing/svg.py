"""A scene as SVG text, written by hand: no Graphviz, no other program.

Each element is a ``<g>`` with a class (``place``, ``transition``, ``arc``, ``controllable``,
``enabled``, ``fused``) and a ``data-name``; its token count and colours are ``<text>``
elements of class ``tokens``/``colours``, so a page can restyle and update them. A
``<title>`` in each group gives the details on hover.
"""
from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from .scene import STYLE, Circle, Curve, Polygon, Rect, Scene, Text

__all__ = ["scene_to_svg"]


def _n(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _pt(p) -> str:
    return f"{_n(p[0])},{_n(p[1])}"


def scene_to_svg(scene: Scene) -> str:
    """The scene as a standalone SVG document (UTF-8 text)."""
    w, h = scene.width, scene.height
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(w)}" height="{_n(h)}" '
           f'viewBox="0 0 {_n(w)} {_n(h)}" font-family="Helvetica, Arial, sans-serif" '
           f'class="petri-net">',
           f"<title>{escape(scene.title)}</title>",
           f'<rect class="background" x="0" y="0" width="{_n(w)}" height="{_n(h)}" fill="#ffffff"/>']
    for g in scene.groups:
        attrs = f'class={quoteattr(" ".join(g.classes) or g.kind)} data-name={quoteattr(g.name)}'
        for k, v in g.data.items():
            attrs += f" data-{k}={quoteattr(str(v))}"
        out.append(f"<g {attrs}>")
        if g.title:
            out.append(f"<title>{escape(g.title)}</title>")
        for s in g.shapes:
            out.append(_shape(s))
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _shape(s) -> str:
    if isinstance(s, Circle):
        if s.role == "token":
            return (f'<circle class="token" cx="{_n(s.cx)}" cy="{_n(s.cy)}" r="{_n(s.r)}" '
                    f'fill="{STYLE["token"]["fill"]}"/>')
        if s.role == "inhibitor":
            st = STYLE["arc"]
            return (f'<circle class="head" cx="{_n(s.cx)}" cy="{_n(s.cy)}" r="{_n(s.r)}" '
                    f'fill="#ffffff" stroke="{st["stroke"]}" stroke-width="{st["width"]}"/>')
        st = STYLE[s.role]
        return (f'<circle class="shape" cx="{_n(s.cx)}" cy="{_n(s.cy)}" r="{_n(s.r)}" '
                f'fill="{s.fill or st["fill"]}" stroke="{st["stroke"]}" '
                f'stroke-width="{st["width"]}"/>')
    if isinstance(s, Rect):
        st = STYLE[s.role]
        return (f'<rect class="shape" x="{_n(s.x)}" y="{_n(s.y)}" width="{_n(s.w)}" '
                f'height="{_n(s.h)}" rx="2" fill="{st["fill"]}" stroke="{st["stroke"]}" '
                f'stroke-width="{st["width"]}"/>')
    if isinstance(s, Polygon):
        st = STYLE[s.role]
        pts = " ".join(_pt(p) for p in s.points)
        return f'<polygon class="head" points="{pts}" fill="{st["stroke"]}"/>'
    if isinstance(s, Curve):
        st = STYLE[s.role]
        d = f"M{_pt(s.start)}" + "".join(f" C{_pt(a)} {_pt(b)} {_pt(c)}" for a, b, c in s.segments)
        dash = ' stroke-dasharray="5,3"' if s.dashed else ""
        return (f'<path class="line" d="{d}" fill="none" stroke="{st["stroke"]}" '
                f'stroke-width="{st["width"]}"{dash}/>')
    if isinstance(s, Text):
        cls = {"token": "tokens", "muted": "colours" if not s.halo else "inscription"}.get(
            s.role, "label")
        fill = STYLE.get(s.role, STYLE["text"]).get("fill", STYLE["text"]["fill"])
        halo = (' stroke="#ffffff" stroke-width="3" paint-order="stroke" stroke-linejoin="round"'
                if s.halo else "")
        return (f'<text class="{cls}" x="{_n(s.x)}" y="{_n(s.y)}" font-size="{_n(s.size)}" '
                f'text-anchor="{s.anchor}" fill="{fill}"{halo}>{escape(s.text)}</text>')
    raise TypeError(f"cannot draw {s!r}")
