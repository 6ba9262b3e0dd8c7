"""Identity's repositories, handed to the use cases as one."""

from __future__ import annotations

from dataclasses import dataclass, field

from modules.identity.repository.challenges import ChallengeRepository
from modules.identity.repository.devices import DeviceRepository
from modules.identity.repository.login_failures import LoginFailureRepository
from modules.identity.repository.sessions import SessionRepository
from modules.identity.repository.totp import TotpRepository
from modules.identity.repository.users import UserRepository


@dataclass(frozen=True)
class IdentityRepository:
    users: UserRepository = field(default_factory=UserRepository)
    login_failures: LoginFailureRepository = field(default_factory=LoginFailureRepository)
    sessions: SessionRepository = field(default_factory=SessionRepository)
    totp: TotpRepository = field(default_factory=TotpRepository)
    challenges: ChallengeRepository = field(default_factory=ChallengeRepository)
    devices: DeviceRepository = field(default_factory=DeviceRepository)
