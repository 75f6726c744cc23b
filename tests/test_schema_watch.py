"""How a value of another JSON type than declared is made to fit: converted, or widened."""

from __future__ import annotations

import jsonschema
import msgspec
import pytest

from tap_gainsight.schema_watch import reconcile, shape_of

INTEGER = {"type": ["integer", "null"]}
NUMBER = {"type": ["number", "null"]}
BOOLEAN = {"type": ["boolean", "null"]}
STRING = {"type": ["string", "null"]}
OBJECT = {"type": ["object", "null"], "additionalProperties": True}
ARRAY = {"type": ["array", "null"], "items": {"type": ["string", "null"]}}
DATE_TIME = {"type": ["string", "null"], "format": "date-time"}


@pytest.mark.parametrize(
    ("prop", "sent", "delivered"),
    [
        (INTEGER, 12.0, 12),
        (INTEGER, "12", 12),
        (INTEGER, " -3 ", -3),
        (NUMBER, "7.25", 7.25),
        (NUMBER, "12", 12),
        (BOOLEAN, "true", True),
        (BOOLEAN, "FALSE", False),
        (STRING, 3, "3"),
        (STRING, 2.5, "2.5"),
        (STRING, True, "true"),
        (DATE_TIME, "1624431528295", "2021-06-23T06:58:48.295Z"),
        (DATE_TIME, 1624431528295.0, "2021-06-23T06:58:48.295Z"),
        (DATE_TIME, "0", None),
    ],
)
def test_exact_conversions_keep_the_declared_column(prop, sent, delivered) -> None:
    outcome = reconcile(sent, prop)
    assert outcome is not None
    assert outcome.widened is None
    assert outcome.value == delivered
    assert type(outcome.value) is type(delivered)
    jsonschema.validate(outcome.value, prop)


@pytest.mark.parametrize(
    ("prop", "sent", "widened_type"),
    [
        (INTEGER, 3.5, ["number", "null"]),
        (INTEGER, "3.5", ["number", "null"]),
        (INTEGER, "many", ["integer", "string", "null"]),
        (BOOLEAN, "maybe", ["boolean", "string", "null"]),
        (OBJECT, [{"key": "plan"}], ["object", "array", "null"]),
        (ARRAY, {"0": "a"}, ["array", "object", "null"]),
        (STRING, {"a": 1}, ["string", "object", "null"]),
        (DATE_TIME, {"at": 1}, ["string", "object", "null"]),
    ],
)
def test_what_cannot_convert_widens_its_column(prop, sent, widened_type) -> None:
    outcome = reconcile(sent, prop)
    assert outcome is not None
    assert outcome.widened is not None
    assert outcome.widened["type"] == widened_type
    value = sent if outcome.value is None else outcome.value
    jsonschema.validate(value, outcome.widened)
    assert value == (3.5 if sent == "3.5" else sent), "the value keeps its meaning"


def test_a_date_time_seeing_text_that_is_no_date_becomes_plain_text() -> None:
    outcome = reconcile("never", DATE_TIME)
    assert outcome is not None
    assert outcome.widened == {"type": ["string", "null"]}
    assert outcome.value is None, "the value itself is kept"


@pytest.mark.parametrize(
    ("prop", "sent"),
    [
        (INTEGER, 3),
        (NUMBER, 3),
        (NUMBER, 3.5),
        (STRING, "x"),
        (BOOLEAN, False),
        (DATE_TIME, 1624431528295),
        (DATE_TIME, "2021-06-23T06:58:48Z"),
        (DATE_TIME, None),
        ({}, [1, {"a": None}]),
    ],
)
def test_values_of_the_declared_type_fit(prop, sent) -> None:
    assert reconcile(sent, prop) is None


PROPERTIES = {
    "id": {"type": "string"},
    "visits": INTEGER,
    "date": DATE_TIME,
    "location": {
        "type": ["object", "null"],
        "properties": {"lat": NUMBER, "since": DATE_TIME},
    },
    "tags": ARRAY,
}
FITTING = {"id": "a", "visits": 3, "date": 1, "location": {"lat": 1.5, "x": 1}, "tags": ["t"]}
#: Records that do not fit PROPERTIES, and why.
MISFITS = [
    ({**FITTING, "new": 1}, "a new field"),
    ({**FITTING, "visits": 3.5}, "a fraction for an integer"),
    ({**FITTING, "visits": True}, "a boolean is no integer here"),
    ({**FITTING, "location": {"lat": "1.5"}}, "nested text for a number"),
    ({**FITTING, "location": {"since": "never"}}, "nested text for a date: the slow path"),
    ({**FITTING, "tags": ["t", 3]}, "an item of another type"),
    ({**FITTING, "id": None}, "null where the schema has none"),
]


def test_the_record_check_sees_new_fields_drift_and_nested_drift() -> None:
    shape = shape_of(PROPERTIES, closed=True)

    def fits(record: dict) -> bool:
        try:
            msgspec.convert(record, shape, strict=True)
        except msgspec.ValidationError:
            return False
        return True

    assert fits(FITTING)
    assert fits({"id": "a", "location": None, "tags": None})
    assert fits({**FITTING, "date": "2024-01-01T00:00:00Z"}), "checked as it converts"
    assert fits({**FITTING, "location": {"since": 1624431528295}})
    for record, why in MISFITS:
        assert not fits(record), why
