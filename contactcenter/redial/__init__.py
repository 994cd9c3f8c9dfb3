"""Missed-call callback: the callback list, its policy and the dispatcher."""
