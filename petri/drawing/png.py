"""A scene as a PNG image, drawn with matplotlib (the ``plot`` extra): the same shapes as the SVG."""
from __future__ import annotations

import io

from ..errors import CommandError
from .scene import STYLE, Circle, Curve, Polygon, Rect, Scene, Text

__all__ = ["scene_to_png"]

#: pixels per drawing unit (the SVG's user unit), so that small text stays sharp
SCALE = 2.0
#: the largest image side in pixels; bigger drawings are scaled down to fit
MAX_SIDE = 12000


def scene_to_png(scene: Scene) -> bytes:
    """The scene as PNG bytes."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        from matplotlib.figure import Figure
        from matplotlib.patches import Circle as MCircle, PathPatch, Polygon as MPolygon
        from matplotlib.patches import Rectangle
        from matplotlib.path import Path
        import matplotlib.patheffects as pe
    except ImportError:
        raise CommandError("drawing PNG needs matplotlib (pip install matplotlib); "
                           "SVG needs nothing more") from None
    dpi = 72.0
    scale = min(SCALE, MAX_SIDE / max(scene.width, scene.height, 1))
    fig = Figure(figsize=(scene.width * scale / dpi, scene.height * scale / dpi), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, scene.width)
    ax.set_ylim(scene.height, 0)
    ax.axis("off")
    pt = scale   # one drawing unit in points (72 dpi: one point per pixel)
    for g in scene.groups:
        for s in g.shapes:
            if isinstance(s, Circle):
                if s.role == "token":
                    ax.add_patch(MCircle((s.cx, s.cy), s.r, color=STYLE["token"]["fill"], lw=0))
                    continue
                st = STYLE["arc" if s.role == "inhibitor" else s.role]
                ax.add_patch(MCircle((s.cx, s.cy), s.r, facecolor=s.fill or st.get("fill", "#ffffff"),
                                     edgecolor=st["stroke"], lw=st["width"] * pt))
            elif isinstance(s, Rect):
                st = STYLE[s.role]
                ax.add_patch(Rectangle((s.x, s.y), s.w, s.h, facecolor=st["fill"],
                                       edgecolor=st["stroke"], lw=st["width"] * pt))
            elif isinstance(s, Polygon):
                ax.add_patch(MPolygon(s.points, closed=True, color=STYLE[s.role]["stroke"], lw=0))
            elif isinstance(s, Curve):
                verts = [s.start]
                for a, b, c in s.segments:
                    verts += [a, b, c]
                codes = [Path.MOVETO] + [Path.CURVE4] * (len(verts) - 1)
                st = STYLE[s.role]
                ax.add_patch(PathPatch(Path(verts, codes), fill=False, edgecolor=st["stroke"],
                                       lw=st["width"] * pt,
                                       linestyle=(0, (5, 3)) if s.dashed else "solid"))
            elif isinstance(s, Text):
                fill = STYLE.get(s.role, STYLE["text"]).get("fill", STYLE["text"]["fill"])
                effects = ([pe.withStroke(linewidth=3 * pt, foreground="white")]
                           if s.halo else None)
                ax.text(s.x, s.y, s.text, fontsize=s.size * pt, ha={"middle": "center"}.get(
                    s.anchor, "left" if s.anchor == "start" else "right"), va="baseline",
                    color=fill, family="DejaVu Sans", path_effects=effects)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()
