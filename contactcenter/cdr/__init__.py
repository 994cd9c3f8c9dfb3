"""Call records: correlating AMI events into one record per call, and storing them."""
