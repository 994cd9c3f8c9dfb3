"""Leader duty: which unit's head answers the hotline each week, with a digest of hot topics."""
