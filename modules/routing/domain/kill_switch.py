"""Who may lift a kill switch: a user may resume trading they halted, never an admin's halt."""

from __future__ import annotations

from modules.kernel.refusal import Kind, Refused


def check_change(
    *, active: bool, set_by: str, current_active: bool, current_set_by: str | None
) -> None:
    if set_by == "user" and not active and current_active and current_set_by == "admin":
        raise Refused(
            Kind.FORBIDDEN,
            "kill_switch_admin_only",
            "An admin halted your trading; only an admin can resume it",
        )
