"""Small definitions for questionnaire tests."""

import copy
from typing import Any

SCALE = {
    "min": 1,
    "max": 5,
    "labels": {str(p): {"vi": f"Mức {p}", "en": f"Level {p}"} for p in range(1, 6)},
    "not_applicable": True,
}

SMALL: dict[str, Any] = {
    "code": "small",
    "kind": "other",
    "languages": ["vi", "en"],
    "title": {"vi": "Khảo sát nhỏ", "en": "Small survey"},
    "components": [{"code": "c.service", "label": {"vi": "Dịch vụ", "en": "Service"}}],
    "calculations": [{"code": "service_mean", "expression": "mean(q2, m.r1, m.r2)"}],
    "sections": [
        {
            "code": "s1",
            "title": {"vi": "Phần 1", "en": "Part 1"},
            "questions": [
                {
                    "code": "q1",
                    "type": "yes_no",
                    "required": True,
                    "label": {"vi": "Có?", "en": "Yes?"},
                },
                {
                    "code": "q2",
                    "type": "rating",
                    "required": True,
                    "relevant": "q1 == 'yes'",
                    "label": {"vi": "Hài lòng?", "en": "Satisfied?"},
                    "scale": SCALE,
                    "scoring": {"component": "c.service", "satisfied": [4, 5], "reverse": False},
                },
                {
                    "code": "channel",
                    "type": "single_choice",
                    "label": {"vi": "Kênh", "en": "Channel"},
                    "choices": [
                        {"value": "online", "label": {"vi": "Trực tuyến", "en": "Online"}},
                        {"value": "counter", "label": {"vi": "Quầy", "en": "Counter"}},
                    ],
                },
            ],
        },
        {
            "code": "s2",
            "title": {"vi": "Phần 2", "en": "Part 2"},
            "relevant": "q2 >= 4 and channel in ['online', 'counter']",
            "questions": [
                {
                    "code": "m",
                    "type": "matrix",
                    "label": {"vi": "Đánh giá", "en": "Rate"},
                    "scale": copy.deepcopy(SCALE),
                    "items": [
                        {
                            "code": "r1",
                            "label": {"vi": "Một", "en": "One"},
                            "scoring": {"component": "c.service", "satisfied": [4, 5]},
                        },
                        {"code": "r2", "label": {"vi": "Hai", "en": "Two"}},
                    ],
                },
                {
                    "code": "age",
                    "type": "number",
                    "label": {"vi": "Tuổi", "en": "Age"},
                    "validation": {"min": 18, "max": 99, "integer": True},
                    "constraint": "age >= 18",
                    "constraint_message": {"vi": "Từ 18", "en": "18+"},
                },
                {"code": "note", "type": "long_text", "label": {"vi": "Ý kiến", "en": "Comment"}},
                {"code": "nps", "type": "nps", "label": {"vi": "Giới thiệu", "en": "Recommend"}},
                {"code": "when", "type": "date", "label": {"vi": "Ngày", "en": "Date"}},
                {
                    "code": "email",
                    "type": "text",
                    "label": {"vi": "Thư", "en": "Email"},
                    "validation": {"pattern": "[^@]+@[^@]+", "max_length": 100},
                },
                {
                    "code": "tags",
                    "type": "multiple_choice",
                    "label": {"vi": "Chọn", "en": "Pick"},
                    "choices": [
                        {"value": "a", "label": {"vi": "A", "en": "A"}},
                        {"value": "b", "label": {"vi": "B", "en": "B"}},
                    ],
                    "validation": {"min_selections": 1, "max_selections": 2},
                },
            ],
        },
    ],
}


def small(**changes: Any) -> dict[str, Any]:
    definition = copy.deepcopy(SMALL)
    definition.update(changes)
    return definition


def question(definition: dict[str, Any], code: str) -> dict[str, Any]:
    for section in definition["sections"]:
        for item in section["questions"]:
            if item["code"] == code:
                return item
    raise KeyError(code)
