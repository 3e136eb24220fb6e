"""notify: in-app inbox, SMS, e-mail, urges (催办) and notices with receipts (回执)."""
