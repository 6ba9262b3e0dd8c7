"""The dashboard's Piccolo app: every table of its schema."""

from __future__ import annotations

from modules.dashboard.tables.orders import (
    Fill,
    Inbox,
    Notification,
    Order,
    OrderAttempt,
    Outbox,
    PendingEvent,
)
from modules.dashboard.tables.push import (
    AccountDirectory,
    BotState,
    DailySummarySent,
    DailyTally,
    NotificationPreference,
    PositionCycle,
    PriceAlert,
    PushDevice,
    PushOutbox,
)
from modules.dashboard.tables.screens import (
    AccountEvent,
    Balance,
    Bar,
    BotPosition,
    Daily,
    EquityReport,
    Mark,
    Position,
    PositionHead,
    Route,
    Saving,
    Signal,
    SignalIntent,
    Trade,
    UserState,
)
from modules.kernel.tables import app_config

APP_CONFIG = app_config(
    "dashboard",
    [
        Outbox,
        Inbox,
        Order,
        OrderAttempt,
        PendingEvent,
        Fill,
        Notification,
        NotificationPreference,
        PushDevice,
        PushOutbox,
        PriceAlert,
        AccountDirectory,
        BotState,
        PositionCycle,
        DailyTally,
        DailySummarySent,
        Trade,
        PositionHead,
        Position,
        Bar,
        Mark,
        Balance,
        EquityReport,
        Daily,
        UserState,
        AccountEvent,
        Route,
        Saving,
        BotPosition,
        Signal,
        SignalIntent,
    ],
)
