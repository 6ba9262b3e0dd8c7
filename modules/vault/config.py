"""Vault's settings.

Plain module constants; how often the transit key rotates is a process setting
(`key_rotation_interval_seconds` in `modules.kernel.settings`, 0 for never).
"""

from __future__ import annotations

# Sealed versions of a credential kept after a rotation, so orders already on their way with an
# older version still resolve to a working key; older versions are destroyed.
KEPT_VERSIONS = 10
# The audit log's user for entries no user caused, and the default actor of a key rotation.
SYSTEM_USER = "system"
