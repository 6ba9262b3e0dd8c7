"""Strategy's pure rules: the APEX v7.1 signal and its indicators, position sizing, stops and
targets, the bars' rolling windows and the bot's settings rules. No I/O and no clock."""
