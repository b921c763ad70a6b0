"""Units, the sold appliances: register them (one, or a CSV batch), find them, print labels."""
