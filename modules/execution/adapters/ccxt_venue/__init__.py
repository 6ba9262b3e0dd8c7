"""The real exchanges through ccxt: the venue (venue.py) and ccxt's answers and errors in the
port's terms (_translate.py)."""
