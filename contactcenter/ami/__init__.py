"""AMI: the link to Asterisk (framing, journal, typed events, connection, replay server)."""
