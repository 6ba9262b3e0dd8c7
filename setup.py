"""Build hook: the wheel carries the built web front-ends when they exist.

Everything else about the package is declared in pyproject.toml. `admin/dist` (the admin panel,
`npm run build` in admin/) and `mobile/dist` (the traders' app's web export, `npx expo export
--platform web` in mobile/) are copied into the wheel as `modules/kernel/web/admin/` and
`modules/kernel/web/mobile/`, where `modules/kernel/web_assets.py` finds them once installed. A
front-end that was not built is left out: the platform serves the API alone.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
FRONTENDS = {"admin": ROOT / "admin" / "dist", "mobile": ROOT / "mobile" / "dist"}


class BuildPyWithFrontends(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads them from the checkout itself
        for name, built in FRONTENDS.items():
            if (built / "index.html").is_file():
                target = Path(self.build_lib, "modules", "kernel", "web", name)
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(built, target)


setup(cmdclass={"build_py": BuildPyWithFrontends})
