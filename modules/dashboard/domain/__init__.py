"""The dashboard's rules, free of I/O: how an order event changes its row, what a notice says."""
