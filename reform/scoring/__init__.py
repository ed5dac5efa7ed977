"""The reform index's arithmetic: pure numpy, no Django (DESIGN.md, Layout).

framework  — the criteria tree (parse, validate, export)
rules      — conversion rules that turn a survey estimate or raw indicator into points
totals     — leaf points → domain points → totals, ranks with ties shared, bands, changes
simulation — rank intervals by Monte-Carlo over the survey components' sampling error,
             and the ranks' sensitivity to the framework's weights
"""
