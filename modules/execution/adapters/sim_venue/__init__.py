"""The simulated exchanges `coinbase`, `kraken` and `binance`: the venue (venue.py), its paper
wallets (wallet.py), the statements it sends (_sql.py) and its rows in the port's terms
(_rows.py)."""
