"""Interventions and conditioning plans (健康干预 / 健康调养): advice drafted by rule from the
clinical engine's findings, edited and approved by a health manager before the customer sees it."""
