"""Cooperation metrics: figures per agreement and direction, and the pace indicator built on them.

``periods`` turns the viewer's calendar into SQL (local days on both databases), ``figures``
aggregates deliveries, items and pickups in SQL, ``pace`` scores the figures against targets.
"""
