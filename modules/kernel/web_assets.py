"""Where the built web front-ends are, for the platform to serve them.

The admin panel (`admin/`, built to `admin/dist`) and the traders' app's web export (`mobile/`,
exported to `mobile/dist`) each end up in one of two places:

- an installed platform (the wheel, the image): `modules/kernel/web/<name>/`, copied in by the
  wheel build (setup.py);
- a source checkout (`make run`): `<checkout>/<name>/dist`.

A front-end that was never built is in neither, and `built_frontend` answers None.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

Frontend = Literal["admin", "mobile"]
PACKAGED = Path(__file__).resolve().parent / "web"
CHECKOUT = Path(__file__).resolve().parents[2]


def built_frontend(name: Frontend) -> Path | None:
    """The directory holding the front-end's `index.html` and assets, or None when not built."""
    for candidate in (PACKAGED / name, CHECKOUT / name / "dist"):
        if (candidate / "index.html").is_file():
            return candidate
    return None
