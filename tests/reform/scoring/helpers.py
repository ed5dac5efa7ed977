"""Small frameworks built in code, for the scoring tests (no database)."""

from reform.scoring.framework import Framework, from_dict


def par(**extra) -> Framework:
    """Two domains: A (assessed 60 = 40 + 20) and S (survey 40, linear share)."""
    return from_dict(
        {
            "code": "t",
            "name": "T",
            "year": 2026,
            "level": "commune",
            "kind": "par",
            "total": 100,
            "bands": [
                {"min": 90, "label": "A"},
                {"min": 80, "label": "B"},
                {"min": 0, "label": "C"},
            ],
            "nodes": [
                {
                    "code": "A",
                    "name": "Assessed",
                    "max": 60,
                    "children": [
                        {"code": "A1", "name": "a1", "max": 40},
                        {"code": "A2", "name": "a2", "max": 20},
                    ],
                },
                {
                    "code": "S",
                    "name": "Survey",
                    "max": 40,
                    "children": [
                        {
                            "code": "S1",
                            "name": "s1",
                            "max": 40,
                            "leaf": "survey",
                            "component": "sipas.overall",
                            "rule": {"type": "linear", "scale": 1},
                        }
                    ],
                },
                {"code": "B", "name": "Bonus", "kind": "bonus", "max": 2},
                {"code": "P", "name": "Penalty", "kind": "penalty", "max": 5},
            ],
            **extra,
        }
    )
