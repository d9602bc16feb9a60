"""BitCart Orders: the order-management back end of the BitCart store platform."""
