"""Strategy's use cases: the bot's controls, bar evaluation, and following the bot's orders."""
