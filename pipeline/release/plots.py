"""Plots of a release rendered to PNG with matplotlib (no map downloads: the world map is drawn from coordinates).

Rendered from a version's manifest entry, so a card and its plots can be rebuilt from ``versions.json`` alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PLOTS = ("articles_per_month.png", "technology_categories.png", "world_map.png")


def plot_dir(folder: Path, version: str) -> Path:
    return folder / "plots" / f"v{version}"


def render_plots(entry: dict[str, Any], out: Path) -> list[Path]:
    """Write the three PNGs of ``entry`` (a manifest entry) into ``out``; returns their paths."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    out.mkdir(parents=True, exist_ok=True)
    train = entry["stats"]["train"]
    written: list[Path] = []
    metadata = {"Software": None}  # no version string: the same figures give the same bytes

    months = _every_month(train["months"])
    fig, ax = plt.subplots(figsize=(8, 3.2), dpi=100)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if months:
        ax.bar(range(len(months)), list(months.values()), color="#3b6ea5")
        ax.set_xticks(range(len(months)), list(months), rotation=60, ha="right", fontsize=7)
    else:
        ax.text(0.5, 0.5, "no publication dates", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylabel("articles")
    ax.set_title(f"Articles per month of publication (v{entry['version']})")
    fig.tight_layout()
    written.append(_save(fig, out / PLOTS[0], metadata))

    categories = dict(list(train["categories"].items())[:15])
    fig, ax = plt.subplots(figsize=(8, 0.4 * max(len(categories), 3) + 1), dpi=100)
    if categories:
        names = list(categories)[::-1]
        ax.barh(names, [categories[n] for n in names], color="#a5533b")
    else:
        ax.text(0.5, 0.5, "no technologies tagged", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("articles naming a technology of the category")
    ax.set_title("Technology categories")
    fig.tight_layout()
    written.append(_save(fig, out / PLOTS[1], metadata))

    fig, ax = plt.subplots(figsize=(9, 4.8), dpi=100)
    for lon in range(-180, 181, 30):
        ax.plot([lon, lon], [-90, 90], color="#cccccc", linewidth=0.5, zorder=0)
    for lat in range(-90, 91, 30):
        ax.plot([-180, 180], [lat, lat], color="#cccccc", linewidth=0.5, zorder=0)
    places = train["places"]
    if places:
        lats = [p[0] for p in places]
        lons = [p[1] for p in places]
        sizes = [12 + 18 * p[2] for p in places]
        ax.scatter(lons, lats, s=sizes, alpha=0.6, color="#2f7d4a", edgecolors="black", linewidths=0.3, zorder=2)
        labelled: set[str] = set()
        for place in places:  # most named first: each country's code at its most named place
            country = place[3] if len(place) > 3 else ""
            if country and country not in labelled:
                labelled.add(country)
                ax.annotate(country, (place[1], place[0]), xytext=(4, 4), textcoords="offset points", fontsize=7)
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_xticks(range(-180, 181, 30))
    ax.set_yticks(range(-90, 91, 30))
    ax.tick_params(labelsize=7)
    ax.set_aspect("equal")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    countries = ", ".join(f"{c} {n}" for c, n in list(train["countries"].items())[:8])
    ax.set_title(f"Places named (articles per place); countries: {countries or 'none'}", fontsize=9)
    fig.tight_layout()
    written.append(_save(fig, out / PLOTS[2], metadata))
    return written


def _every_month(counts: dict[str, int]) -> dict[str, int]:
    """Counts for every month from the first to the last, empty months included (a time axis has no gaps)."""
    valid = sorted(m for m in counts if len(m) == 7 and m[:4].isdigit() and m[5:].isdigit())
    if not valid:
        return {}
    year, month = int(valid[0][:4]), int(valid[0][5:])
    out: dict[str, int] = {}
    while f"{year:04d}-{month:02d}" <= valid[-1] and len(out) < 1200:
        key = f"{year:04d}-{month:02d}"
        out[key] = counts.get(key, 0)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _save(fig: Any, path: Path, metadata: dict[str, Any]) -> Path:
    import matplotlib.pyplot as plt

    tmp = path.with_name(path.name + ".tmp")
    fig.savefig(tmp, format="png", metadata=metadata)
    plt.close(fig)
    tmp.replace(path)
    return path
