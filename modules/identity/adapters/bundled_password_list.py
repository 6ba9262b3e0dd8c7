"""The list of common passwords shipped with the package (`common_passwords.txt`, beside this).

It holds the 30,000 most frequent passwords of real breaches (the list zxcvbn 4.5.0 ships, MIT
licence), lower-case, one a line. It is read once per process, however many apps are built.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from modules.identity.domain.password_policy import ListedPasswords, parse_password_list

_LIST = Path(__file__).with_name("common_passwords.txt")


@lru_cache(maxsize=1)
def _read(path: Path) -> ListedPasswords:
    with path.open(encoding="utf-8") as handle:
        return parse_password_list(handle)


class BundledPasswordList:
    def common_passwords(self) -> ListedPasswords:
        return _read(_LIST)
