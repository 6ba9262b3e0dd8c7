"""The routing module as a Litestar plugin. Use cases: service.py; published events: contracts.py."""

from __future__ import annotations

from modules.kernel.module import NijaModule


class RoutingModule(NijaModule):
    name = "routing"


plugin = RoutingModule
