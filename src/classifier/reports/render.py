"""The Jinja2 environment shared by every report, and the number formats they use."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

TEMPLATES = Path(__file__).resolve().parent / "templates"


def fmt(value: Any, ci: Sequence[float] | None = None, digits: int = 3) -> str:
    """``0.812 [0.71, 0.90]``; ``n/a`` for a missing or undefined value."""
    if value is None or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "n/a"
    text = f"{value:.{digits}f}"
    if ci is not None and len(ci) == 2 and all(isinstance(c, (int, float)) and math.isfinite(c) for c in ci):
        text += f" [{ci[0]:.2f}, {ci[1]:.2f}]"
    return text


def ci(interval: Sequence[float]) -> str:
    """``[0.71, 0.90]``; ``n/a`` when undefined."""
    if len(interval) != 2 or fmt(interval[0]) == "n/a" or fmt(interval[1]) == "n/a":
        return "n/a"
    return f"[{interval[0]:.2f}, {interval[1]:.2f}]"


def mean_sd(row: dict, key: str) -> str:
    """``0.812 ± 0.020`` from ``key_mean`` / ``key_sd`` of a row."""
    m, s = row.get(f"{key}_mean"), row.get(f"{key}_sd")
    return "n/a" if fmt(m) == "n/a" else f"{m:.3f} ± {s:.3f}"


@lru_cache(maxsize=2)
def environment(autoescape: bool):
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=autoescape,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters["fmt"] = fmt
    env.filters["mean_sd"] = mean_sd
    env.filters["ci"] = ci
    return env


def render(template: str, **context: Any) -> str:
    """Render ``templates/<template>``; HTML templates are auto-escaped, Markdown ones are not."""
    return environment(template.endswith(".html.j2")).get_template(template).render(**context)
