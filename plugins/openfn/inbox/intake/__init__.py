"""The sender's HTTP path: reading and checking the body, sender auth, limits, the routes senders call."""
