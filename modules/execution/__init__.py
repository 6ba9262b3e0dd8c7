"""The execution module as a Litestar plugin. Use cases: service.py; published events: contracts.py."""

from __future__ import annotations

from modules.kernel.module import NijaModule


class ExecutionModule(NijaModule):
    name = "execution"


plugin = ExecutionModule
