"""The questionnaire engine (pure Python, no database): the public SDC / ResearchKit examples
parse and score, every enableWhen operator both ways, every validation error names its item,
definition errors name their path, every data type round-trips through a QuestionnaireResponse,
FHIRPath failures are errors (never tracebacks), and oversized input is refused quickly."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest

from jianguan.questionnaires import engine
from jianguan.questionnaires.engine import (
    Definition,
    DefinitionError,
    answers_from_response,
    enabled,
    parse_definition,
    score,
    to_response,
    validate,
    with_calculated,
)

DATA = Path("/work/shared/data/questionnaires")
SDC = DATA / "hl7-sdc"
RK = DATA / "researchkitonfhir"
EXT = "http://hl7.org/fhir/StructureDefinition/"
SDC_EXT = "http://hl7.org/fhir/uv/sdc/StructureDefinition/"

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="shared questionnaire examples missing")


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def defn(name: str) -> Definition:
    return parse_definition(load(SDC / name))


def questionnaire(*items: dict[str, Any], **root: Any) -> dict[str, Any]:
    return {
        "resourceType": "Questionnaire",
        "url": "https://jianguan.local/fhir/Questionnaire/test",
        "version": "3",
        "name": "test",
        "status": "active",
        "item": list(items),
        **root,
    }


def ext(url: str, **value: Any) -> dict[str, Any]:
    return {"url": url, **value}


def fhirpath(expression: str, **more: Any) -> dict[str, Any]:
    return {"language": "text/fhirpath", "expression": expression, **more}


def coding_options(*codes: str, scores: tuple[float, ...] = ()) -> list[dict[str, Any]]:
    options = []
    for i, code in enumerate(codes):
        coding: dict[str, Any] = {"system": "urn:test", "code": code, "display": code.upper()}
        if scores:
            coding["extension"] = [ext(EXT + "ordinalValue", valueDecimal=scores[i])]
        options.append({"valueCoding": coding})
    return options


def codes(errors: list[engine.ItemError]) -> set[tuple[str, str]]:
    return {(e.link_id, e.code) for e in errors}


# ---------------------------------------------------------------------------------------------
# The public examples


EXAMPLES = sorted(
    p
    for p in [*SDC.glob("*.json"), *RK.glob("*.json")]
    if load(p)["resourceType"] == "Questionnaire"
)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_public_example_parses(path: Path) -> None:
    definition = parse_definition(load(path))
    items = list(definition.walk())
    assert items and len({i.link_id for i in items}) == len(items)
    assert all(definition.find(i.link_id) is i for i in items)
    assert definition.status in ("draft", "active")


def test_the_named_examples_are_all_there() -> None:
    names = {p.name for p in EXAMPLES}
    assert {
        "questionnaire-sdc-profile-example-PHQ9.json",
        "questionnaire-sdc-test-enablewhen.json",
        "questionnaire-sdc-test-all-data-types.json",
        "questionnaire-sdc-test-required-field.json",
        "questionnaire-sdc-test-repeatable-nested-groups.json",
        "questionnaire-sdc-profile-example-weight-height.json",
        "GAD-7.json",
        "PHQ-9.json",
    } <= names


def test_contained_value_sets_become_options_with_their_ordinal_values() -> None:
    phq9 = defn("questionnaire-sdc-profile-example-PHQ9.json")
    q1 = phq9.find("H1/T1/Q1")
    assert [(o.code, o.score) for o in q1.options] == [
        ("Not-at-all", 0),
        ("Several-days", 1),
        ("More than half the days", 2),
        ("Nearly every day", 3),
    ]
    assert {o.system for o in q1.options} == {"http://hl7.org/fhir/uv/sdc/CodeSystem/CSPHQ9"}
    total = phq9.find("H1/TS")
    assert total.type == "quantity"
    assert total.calculated_expression == "%resource.answers().value.ordinal().sum()"
    assert total.code[0] == engine.Coding("http://loinc.org", "44261-6", total.code[0].display)
    assert [i.link_id for i in phq9.walk()][:3] == ["H1/T1", "H1/T1/Q1", "H1/T1/Q2"]
    with pytest.raises(KeyError):
        phq9.find("nope")


def test_the_phq9_example_response_scores_to_what_its_ordinal_values_imply() -> None:
    phq9 = defn("questionnaire-sdc-profile-example-PHQ9.json")
    response = load(SDC / "questionnaireresponse-sdc-profile-example-PHQ9.json")
    answers = answers_from_response(phq9, response)
    assert answers["H1/T1/Q7"] == ["Nearly every day"]
    assert validate(phq9, answers) == []
    scores = score(phq9, answers)
    # 0+0+0+1+2+1+3+2+1: the answers' ordinal values, and the form's own calculated total
    assert scores.by_item == {
        "H1/T1/Q1": 0,
        "H1/T1/Q2": 0,
        "H1/T1/Q3": 0,
        "H1/T1/Q4": 1,
        "H1/T1/Q5": 2,
        "H1/T1/Q6": 1,
        "H1/T1/Q7": 3,
        "H1/T1/Q8": 2,
        "H1/T1/Q9": 1,
    }
    assert scores.total == 10
    assert scores.calculated == {"H1/TS": 10}
    # the published example stores 13 in its total item, which its own answers do not give:
    # the engine recalculates rather than trusting a stored score
    assert answers["H1/TS"] == [{"value": 13.0, "unit": "{score}"}]
    assert with_calculated(phq9, answers)["H1/TS"] == [{"value": 10.0}]


def test_the_researchkit_phq9_and_gad7_score_by_their_ordinal_values() -> None:
    phq9 = parse_definition(load(RK / "PHQ-9.json"))
    sdc = defn("questionnaire-sdc-profile-example-PHQ9.json")
    response = load(SDC / "questionnaireresponse-sdc-profile-example-PHQ9.json")
    answers = answers_from_response(sdc, response)
    del answers["H1/TS"]  # the ResearchKit form has no total item
    assert validate(phq9, answers) == []
    assert score(phq9, answers).total == 10

    gad7 = parse_definition(load(RK / "GAD-7.json"))
    questions = [i.link_id for i in gad7.walk() if i.type == "choice"]
    assert len(questions) == 7
    worst = {q: ["Nearly every day"] for q in questions}
    assert validate(gad7, worst) == []
    assert score(gad7, worst).total == 21
    # required: the group and each question
    missing = {q: ["Several-days"] for q in questions[1:]}
    assert codes(validate(gad7, missing)) == {(questions[0], "required")}
    assert codes(validate(gad7, {})) >= {(gad7.items[0].link_id, "required")}
    assert validate(gad7, missing, complete=False) == []


def test_weight_height_calculates_the_bmi_from_its_variables() -> None:
    panel = defn("questionnaire-sdc-profile-example-weight-height.json")
    assert panel.find("/29463-7").unit == engine.Coding("http://unitsofmeasure.org", "kg")
    answers = {"/29463-7": [80.0], "/8302-2": [70.0]}  # 80 kg, 70 in (1.778 m)
    assert score(panel, answers).calculated == {"/39156-5": 25.3}
    assert score(panel, {"/29463-7": [80.0]}).calculated == {"/39156-5": None}
    response = to_response(panel, with_calculated(panel, answers))
    bmi = response["item"][2]
    assert bmi["linkId"] == "/39156-5" and bmi["answer"] == [{"valueDecimal": 25.3}]


def test_framingham_variables_and_calculation() -> None:
    form = defn("questionnaire-sdc-profile-example-framingham-HCHD.json")
    answers: dict[str, list[Any]] = {
        "/age": [55.0],
        "/46098-0": ["LA3-6"],  # female
        "/smokes": ["N"],
        "/8480-6": [130.0],
        "/2093-3": [200.0],
        "/2085-9": [50.0],
        "/antihypertensive": ["N"],
    }
    calculated = score(form, answers).calculated
    assert 0.005 < calculated["riskDecimal"] < 0.05
    assert calculated["riskPercentage"] == f"{round(calculated['riskDecimal'] * 100, 2)}%"
    assert score(form, {"/age": [55.0]}).calculated == {"riskDecimal": None, "riskPercentage": None}


def test_required_fields_example() -> None:
    form = defn("questionnaire-sdc-test-required-field.json")
    assert codes(validate(form, {})) == {
        ("textq", "required"),
        ("radio", "required"),
        ("radio2", "required"),
        ("radio3", "required"),
    }
    # `radio` reads an external value set: its codes cannot be checked here
    answers = {"textq": ["stay"], "radio": ["Y"], "radio2": ["1"], "radio3": ["3"]}
    assert validate(form, answers) == []
    assert codes(validate(form, {**answers, "radio3": ["4"]})) == {("radio3", "unknown_option")}


def test_repeatable_nested_groups_example() -> None:
    form = defn("questionnaire-sdc-test-repeatable-nested-groups.json")
    group = form.find("ba91450b-6e67-40dc-8629-0f1b60577774")
    assert group.repeats and group.items[2].repeats
    answers = {
        "a9f40adc-f194-4efb-b4f7-9396d0ca8e49": ["first"],
        "b7e29109-f729-4359-aa29-6c9e7c7b2328": ["inner"],
    }
    assert validate(form, answers) == []
    response = to_response(form, answers)
    outer = response["item"][0]["item"]
    assert outer[0]["answer"] == [{"valueString": "first"}]
    assert outer[1]["item"][0]["item"][0]["answer"] == [{"valueString": "inner"}]
    assert answers_from_response(form, response) == answers


# ---------------------------------------------------------------------------------------------
# enableWhen


ENABLEWHEN = "questionnaire-sdc-test-enablewhen.json"


@pytest.mark.parametrize(
    ("answers", "shown", "hidden"),
    [
        ({}, [], ["e5da17a7-7546-45c5-9bcd-d0b09a74cc14", "65578509-21ae-4a48-94de-e46b1e54kjui"]),
        (
            {"83d5c1a6-5dc3-44d0-9d9e-d687c72e143e": [True]},
            ["e5da17a7-7546-45c5-9bcd-d0b09a74cc14", "65578509-21ae-4a48-94de-e46b1e54kjui"],
            [],
        ),
        # "Group present until Q2 checked": = false
        (
            {"fe0106a5-0e25-43a4-9820-7acb7e74d9d7": [False]},
            ["3ca80fdf-6598-4dd7-b9df-8a2f10895e4e"],
            [],
        ),
        (
            {"fe0106a5-0e25-43a4-9820-7acb7e74d9d7": [True]},
            [],
            ["3ca80fdf-6598-4dd7-b9df-8a2f10895e4e"],
        ),
        # a coded answer against answerString "2"
        ({"s1-radio": ["2"]}, ["e5da17a7-7546-45c5-9bcd-d0b09a74ty76"], []),
        ({"s1-radio": ["3"]}, [], ["e5da17a7-7546-45c5-9bcd-d0b09a74ty76"]),
        # != 7
        (
            {"5e1209b7-c9e0-4bf4-b228-fr096s903m25": ["8"]},
            ["65578509-21ae-4a48-3f56-aswtysn1238"],
            ["76daed4f-f957-45cb-9584-aab95f6021d4"],
        ),
        (
            {"5e1209b7-c9e0-4bf4-b228-fr096s903m25": ["7"]},
            [],
            ["65578509-21ae-4a48-3f56-aswtysn1238"],
        ),
        # enableBehavior all: 8 and 4
        (
            {
                "5e1209b7-c9e0-4bf4-b228-fr096s903m25": ["8"],
                "5e1209b7-c9e0-4bf4-b228-c6591b540qmo": ["4"],
            },
            ["76daed4f-f957-45cb-9584-aab95f6021d4", "65578509-21ae-4a48-94de-h1l9v32opase"],
            [],
        ),
        # decimal comparison with coded answers (1.1 < 2.1; 3.3 >= 2.1)
        (
            {"s3-radio": ["1.1"]},
            ["945b97b5-6d74-4a55-9be1-19897512jj89"],
            ["04fabc33-534a-4047-9a13-c13b0b63fa17"],
        ),
        (
            {"s3-radio": ["3.3"]},
            ["04fabc33-534a-4047-9a13-c13b0b63fa17"],
            ["945b97b5-6d74-4a55-9be1-19897512jj89"],
        ),
        # answerInteger against a code: = 2, != 3
        (
            {"s4-radio": ["2"]},
            ["945b97b5-6d74-4a55-9be1-1989751233ew", "04fabc33-534a-4047-9a13-c13b0b63gh76"],
            [],
        ),
        (
            {"s4-radio": ["3"]},
            [],
            ["945b97b5-6d74-4a55-9be1-1989751233ew", "04fabc33-534a-4047-9a13-c13b0b63gh76"],
        ),
        # dates and times
        (
            {"date_of_birth_question": ["2001-05-05"]},
            ["date_greater_2000-01-01"],
            ["date_less_2000-01-01"],
        ),
        (
            {"date_of_birth_question": ["2000-01-01"]},
            ["date_less_2000-01-01"],
            ["date_greater_2000-01-01"],
        ),
        (
            {"datetime_question": ["12:00:00"]},
            ["datetime_question_greter_than"],
            ["datetime_question_less_than_equal"],
        ),
        (
            {"datetime_question": ["11:11"]},
            ["datetime_question_less_than_equal"],
            ["datetime_question_greter_than"],
        ),
        # one of several answers is enough
        ({"BC029": ["1", "9"]}, ["BOWOPTOTH"], []),
        ({"BC029": ["1", "2"]}, [], ["BOWOPTOTH"]),
        # answerCoding against an external value set; != with no answer is false (R4)
        (
            {"1acf93a7-0890-44cd-be48-542defb35248": ["Y"]},
            ["840c08ad-4b27-4c1d-9d6e-824202518ad0", "e78586ac-8c97-42a8-a56b-779c5c1d81f1"],
            [],
        ),
        (
            {},
            [],
            ["840c08ad-4b27-4c1d-9d6e-824202518ad0", "e78586ac-8c97-42a8-a56b-779c5c1d81f1"],
        ),
        (
            {"1acf93a7-0890-44cd-be48-542defb35248": ["ASKU"]},
            [],
            ["e78586ac-8c97-42a8-a56b-779c5c1d81f1"],
        ),
    ],
)
def test_the_enablewhen_example(
    answers: dict[str, list[Any]], shown: list[str], hidden: list[str]
) -> None:
    form = defn(ENABLEWHEN)
    now = enabled(form, answers)
    assert set(shown) <= now
    assert not set(hidden) & now
    assert validate(form, answers) == []


def operator_form(question: dict[str, Any], operator: str, key: str, value: Any) -> Definition:
    return parse_definition(
        questionnaire(
            {"linkId": "q", **question},
            {
                "linkId": "target",
                "type": "string",
                "enableWhen": [{"question": "q", "operator": operator, key: value}],
            },
        )
    )


INTEGER = {"type": "integer"}
DECIMAL = {"type": "decimal"}
BOOLEAN = {"type": "boolean"}
DATE = {"type": "date"}
DATETIME = {"type": "dateTime"}
TIME = {"type": "time"}
STRING = {"type": "string"}
CHOICE = {"type": "choice", "answerOption": coding_options("a", "b")}
QUANTITY = {"type": "quantity"}
REFERENCE = {"type": "reference"}


@pytest.mark.parametrize(
    ("question", "operator", "key", "expected", "yes", "no"),
    [
        (STRING, "exists", "answerBoolean", True, "x", None),
        (STRING, "exists", "answerBoolean", False, None, "x"),
        (BOOLEAN, "=", "answerBoolean", True, True, False),
        (BOOLEAN, "!=", "answerBoolean", True, False, True),
        (INTEGER, "=", "answerInteger", 3, 3, 4),
        (INTEGER, "!=", "answerInteger", 3, 4, 3),
        (INTEGER, ">", "answerInteger", 3, 4, 3),
        (INTEGER, "<", "answerInteger", 3, 2, 3),
        (INTEGER, ">=", "answerInteger", 3, 3, 2),
        (INTEGER, "<=", "answerInteger", 3, 3, 4),
        (DECIMAL, ">", "answerDecimal", 37.5, 38.0, 37.5),
        (DECIMAL, "<=", "answerDecimal", 37.5, 37.5, 37.6),
        (DATE, ">", "answerDate", "2000-01-01", "2000-01-02", "2000-01-01"),
        (DATE, "<", "answerDate", "2000-01-01", "1999-12-31", "2000-01-01"),
        (
            DATETIME,
            ">=",
            "answerDateTime",
            "2024-01-01T08:00:00+08:00",
            "2024-01-01T00:00:00Z",
            "2023-12-31T23:59:59Z",
        ),
        (
            DATETIME,
            "<",
            "answerDateTime",
            "2024-01-01T08:00:00+08:00",
            "2023-12-31T23:00:00Z",
            "2024-01-01T00:00:00Z",
        ),
        (TIME, ">=", "answerTime", "08:30:00", "08:30", "08:29:59"),
        (STRING, "=", "answerString", "是", "是", "否"),
        (STRING, "!=", "answerString", "是", "否", "是"),
        (CHOICE, "=", "answerCoding", {"system": "urn:test", "code": "a"}, "a", "b"),
        (CHOICE, "!=", "answerCoding", {"system": "urn:test", "code": "a"}, "b", "a"),
        (CHOICE, "=", "answerCoding", {"code": "b"}, "b", "a"),
        (
            QUANTITY,
            ">",
            "answerQuantity",
            {"value": 90, "unit": "kg"},
            {"value": 91.0, "unit": "kg"},
            {"value": 90.0, "unit": "kg"},
        ),
        (
            QUANTITY,
            "=",
            "answerQuantity",
            {"value": 90, "unit": "kg"},
            {"value": 90.0, "unit": "kg"},
            {"value": 90.0, "unit": "lb"},
        ),
        (
            REFERENCE,
            "=",
            "answerReference",
            {"reference": "Practitioner/1"},
            "Practitioner/1",
            "Practitioner/2",
        ),
    ],
)
def test_every_enablewhen_operator_both_ways(
    question: dict[str, Any], operator: str, key: str, expected: Any, yes: Any, no: Any
) -> None:
    form = operator_form(question, operator, key, expected)

    def given(value: Any) -> dict[str, list[Any]]:
        return {} if value is None else {"q": [value]}

    assert "target" in enabled(form, given(yes))
    assert "target" not in enabled(form, given(no))
    if operator != "exists":  # no answer: every other operator is false
        assert "target" not in enabled(form, {})


def test_enable_behavior_any_and_all_and_disabled_questions_read_as_unanswered() -> None:
    def form(behavior: str) -> Definition:
        return parse_definition(
            questionnaire(
                {"linkId": "a", "type": "boolean"},
                {"linkId": "b", "type": "boolean"},
                {
                    "linkId": "target",
                    "type": "boolean",
                    "enableBehavior": behavior,
                    "enableWhen": [
                        {"question": "a", "operator": "=", "answerBoolean": True},
                        {"question": "b", "operator": "=", "answerBoolean": True},
                    ],
                },
                {
                    "linkId": "chained",
                    "type": "string",
                    "enableWhen": [
                        {"question": "target", "operator": "exists", "answerBoolean": True}
                    ],
                },
                {
                    "linkId": "group",
                    "type": "group",
                    "enableWhen": [{"question": "a", "operator": "=", "answerBoolean": True}],
                    "item": [{"linkId": "child", "type": "string"}],
                },
            )
        )

    one = {"a": [True], "b": [False]}
    assert "target" in enabled(form("any"), one)
    assert "target" not in enabled(form("all"), one)
    assert "target" in enabled(form("all"), {"a": [True], "b": [True]})
    # target answered, then disabled: the item it enables goes too, and so does a group's child
    stale = {"a": [False], "b": [False], "target": [True]}
    now = enabled(form("any"), stale)
    assert not {"target", "chained", "group", "child"} & now
    assert codes(validate(form("any"), stale)) == {("target", "not_enabled")}


def test_enable_when_expression_both_ways() -> None:
    form = parse_definition(
        questionnaire(
            {"linkId": "age", "type": "integer"},
            {
                "linkId": "elderly",
                "type": "boolean",
                "extension": [
                    ext(
                        SDC_EXT + "sdc-questionnaire-enableWhenExpression",
                        valueExpression=fhirpath(
                            "%resource.repeat(item).where(linkId='age').answer.value >= 65"
                        ),
                    )
                ],
            },
        )
    )
    assert "elderly" in enabled(form, {"age": [70]})
    assert "elderly" not in enabled(form, {"age": [40]})
    assert "elderly" not in enabled(form, {})
    assert codes(validate(form, {"age": [40], "elderly": [True]})) == {("elderly", "not_enabled")}


def test_an_item_can_be_enabled_by_a_calculated_score() -> None:
    form = parse_definition(
        questionnaire(
            {
                "linkId": "q1",
                "type": "choice",
                "answerOption": coding_options("n", "y", scores=(0, 5)),
            },
            {
                "linkId": "q2",
                "type": "choice",
                "answerOption": coding_options("n", "y", scores=(0, 6)),
            },
            {
                "linkId": "total",
                "type": "decimal",
                "readOnly": True,
                "extension": [
                    ext(
                        SDC_EXT + "sdc-questionnaire-calculatedExpression",
                        valueExpression=fhirpath("%resource.answers().value.ordinal().sum()"),
                    )
                ],
            },
            {
                "linkId": "advice",
                "type": "display",
                "text": "请咨询医生",
                "enableWhen": [{"question": "total", "operator": ">=", "answerDecimal": 10}],
            },
        )
    )
    assert "advice" in enabled(form, {"q1": ["y"], "q2": ["y"]})
    assert "advice" not in enabled(form, {"q1": ["y"], "q2": ["n"]})
    assert score(form, {"q1": ["y"], "q2": ["y"]}) == engine.Scores(
        11, {"q1": 5, "q2": 6}, {"total": 11}
    )


# ---------------------------------------------------------------------------------------------
# Validation


def rules_form() -> Definition:
    return parse_definition(
        questionnaire(
            {
                "linkId": "g",
                "type": "group",
                "item": [
                    {"linkId": "intro", "type": "display", "text": "说明"},
                    {"linkId": "name", "type": "string", "required": True, "maxLength": 5},
                    {
                        "linkId": "phone",
                        "type": "string",
                        "extension": [
                            ext(EXT + "regex", valueString=r"1\d{10}"),
                            ext(EXT + "minLength", valueInteger=11),
                        ],
                    },
                    {
                        "linkId": "age",
                        "type": "integer",
                        "extension": [
                            ext(EXT + "minValue", valueInteger=18),
                            ext(EXT + "maxValue", valueInteger=120),
                        ],
                    },
                    {
                        "linkId": "temp",
                        "type": "decimal",
                        "extension": [
                            ext(EXT + "minValue", valueDecimal=34.0),
                            ext(EXT + "maxValue", valueDecimal=43.5),
                        ],
                    },
                    {
                        "linkId": "visit",
                        "type": "date",
                        "extension": [ext(EXT + "minValue", valueDate="2020-01-01")],
                    },
                    {
                        "linkId": "weight",
                        "type": "quantity",
                        "extension": [
                            ext(
                                EXT + "questionnaire-unitOption",
                                valueCoding={
                                    "system": "http://unitsofmeasure.org",
                                    "code": "kg",
                                    "display": "千克",
                                },
                            ),
                            ext(
                                EXT + "questionnaire-unitOption",
                                valueCoding={
                                    "system": "http://unitsofmeasure.org",
                                    "code": "[lb_av]",
                                    "display": "磅",
                                },
                            ),
                            ext(
                                SDC_EXT + "sdc-questionnaire-maxQuantity",
                                valueQuantity={"value": 300, "unit": "kg"},
                            ),
                        ],
                    },
                    {
                        "linkId": "smoke",
                        "type": "choice",
                        "answerOption": coding_options("no", "yes"),
                    },
                    {
                        "linkId": "symptoms",
                        "type": "choice",
                        "repeats": True,
                        "answerOption": coding_options("cough", "fever", "pain"),
                    },
                    {
                        "linkId": "scan",
                        "type": "attachment",
                        "extension": [
                            ext(EXT + "maxSize", valueDecimal=1000),
                            ext(EXT + "mimeType", valueCode="application/pdf"),
                        ],
                    },
                    {
                        "linkId": "cigarettes",
                        "type": "integer",
                        "required": True,
                        "enableWhen": [
                            {"question": "smoke", "operator": "=", "answerCoding": {"code": "yes"}}
                        ],
                    },
                    {
                        "linkId": "history",
                        "type": "group",
                        "required": True,
                        "item": [{"linkId": "notes", "type": "text"}],
                    },
                ],
            }
        )
    )


VALID = {"name": ["沈静"], "notes": ["无"]}


def test_valid_answers_have_no_errors() -> None:
    form = rules_form()
    answers: dict[str, list[Any]] = {
        **VALID,
        "phone": ["13800138000"],
        "age": [40],
        "temp": [36.6],
        "visit": ["2024-03-01"],
        "weight": [{"value": 60.5, "unit": "kg"}],
        "smoke": ["yes"],
        "cigarettes": [10],
        "symptoms": ["cough", "fever"],
        "scan": [{"contentType": "application/pdf", "size": 900, "title": "ct.pdf"}],
    }
    assert validate(form, answers) == []


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"nope": ["x"]}, ("nope", "unknown_item")),
        ({"cigarettes": [3]}, ("cigarettes", "not_enabled")),
        ({"intro": ["x"]}, ("intro", "not_answerable")),
        ({"g": ["x"]}, ("g", "not_answerable")),
        ({"name": []}, ("name", "required")),
        ({"notes": []}, ("history", "required")),
        ({"smoke": ["yes"]}, ("cigarettes", "required")),
        ({"smoke": ["no", "yes"]}, ("smoke", "not_repeating")),
        ({"age": ["40"]}, ("age", "wrong_type")),
        ({"smoke": ["maybe"]}, ("smoke", "unknown_option")),
        ({"age": [17]}, ("age", "below_min")),
        ({"age": [121]}, ("age", "above_max")),
        ({"temp": [33.9]}, ("temp", "below_min")),
        ({"temp": [43.6]}, ("temp", "above_max")),
        ({"visit": ["2019-12-31"]}, ("visit", "below_min")),
        ({"weight": [{"value": 301.0, "unit": "kg"}]}, ("weight", "above_max")),
        ({"weight": [{"value": 60.0, "unit": "stone"}]}, ("weight", "unit_not_allowed")),
        ({"name": ["沈静静静静静"]}, ("name", "too_long")),
        ({"phone": ["1380013800"]}, ("phone", "too_short")),
        ({"phone": ["2380013800x"]}, ("phone", "pattern")),
        ({"notes": ["字" * 10_001]}, ("notes", "oversized")),
        ({"symptoms": ["cough"] * 101}, ("symptoms", "too_many_answers")),
        ({"symptoms": ["cough", "cough"]}, ("symptoms", "duplicate_answer")),
        (
            {"scan": [{"contentType": "application/pdf", "size": 2000, "title": "x"}]},
            ("scan", "attachment_too_large"),
        ),
        ({"scan": [{"contentType": "image/png", "size": 10}]}, ("scan", "attachment_type")),
    ],
)
def test_every_validation_error_names_its_item(
    answers: dict[str, list[Any]], expected: tuple[str, str]
) -> None:
    form = rules_form()
    errors = validate(form, {**VALID, **answers})
    assert expected in codes(errors)
    error = next(e for e in errors if (e.link_id, e.code) == expected)
    assert error.message_zh and error.message_en
    if expected[1] != "required":
        assert validate(form, {**VALID, **answers}, complete=False) != []


def test_required_only_when_enabled_and_only_for_complete_responses() -> None:
    form = rules_form()
    assert ("cigarettes", "required") not in codes(validate(form, {**VALID, "smoke": ["no"]}))
    assert validate(form, {}, complete=False) == []
    assert codes(validate(form, {})) == {("name", "required"), ("history", "required")}


@pytest.mark.parametrize(
    ("item_type", "good", "bad"),
    [
        ("boolean", True, "true"),
        ("integer", 3, 3.5),
        ("integer", -1, True),
        ("decimal", 3.5, "3.5"),
        ("decimal", 3, float("nan")),
        ("date", "2024-02-29", "2023-02-29"),
        ("date", "2024-02", "24-02-01"),
        ("dateTime", "2024-02-29T08:30:00+08:00", "2024-02-29 08:30"),
        ("dateTime", "2024-02-29T08:30", "yesterday"),
        ("time", "08:30:00", "8:30"),
        ("string", "文字", 3),
        ("text", "多行\n文字", ""),
        ("url", "https://example.org/a", "not a url"),
        ("reference", "Patient/1", "Patient 1"),
        ("quantity", {"value": 1.5, "unit": "mg"}, {"value": "1.5", "unit": "mg"}),
        ("quantity", {"value": 2.0}, {"value": 2.0, "unit": "mg", "extra": 1}),
        ("attachment", {"contentType": "image/png", "size": 3, "title": "x"}, {"size": 3}),
        ("attachment", {"contentType": "image/png"}, {"contentType": "image/png", "size": -1}),
        ("choice", "a", 1),
        ("open-choice", "自由文字", ["a"]),
    ],
)
def test_wrong_types_are_refused(item_type: str, good: Any, bad: Any) -> None:
    item: dict[str, Any] = {"linkId": "x", "type": item_type}
    if item_type in ("choice", "open-choice"):
        item["answerOption"] = coding_options("a", "b")
    form = parse_definition(questionnaire(item))
    assert validate(form, {"x": [good]}) == []
    assert codes(validate(form, {"x": [bad]})) == {("x", "wrong_type")}


def test_answers_that_are_not_a_mapping_of_lists() -> None:
    form = rules_form()
    assert codes(validate(form, {"name": "沈静"})) >= {("name", "wrong_type")}  # type: ignore[dict-item]
    assert codes(validate(form, ["name"])) == {("", "wrong_type")}  # type: ignore[arg-type]
    assert codes(validate(form, {3: ["x"]})) >= {("3", "unknown_item")}  # type: ignore[dict-item]


# ---------------------------------------------------------------------------------------------
# Definition errors


def base() -> dict[str, Any]:
    return questionnaire(
        {
            "linkId": "g",
            "type": "group",
            "item": [
                {"linkId": "a", "type": "boolean"},
                {"linkId": "b", "type": "string"},
            ],
        },
        {"linkId": "c", "type": "choice", "answerValueSet": "#vs"},
        contained=[
            {
                "resourceType": "ValueSet",
                "id": "vs",
                "status": "active",
                "compose": {
                    "include": [{"system": "urn:t", "concept": [{"code": "1"}, {"code": "2"}]}]
                },
            }
        ],
    )


def calculated(expression: str, language: str = "text/fhirpath") -> list[dict[str, Any]]:
    return [
        ext(
            SDC_EXT + "sdc-questionnaire-calculatedExpression",
            valueExpression={"language": language, "expression": expression},
        )
    ]


def _set(path: list[Any], value: Any) -> Any:
    def change(data: dict[str, Any]) -> dict[str, Any]:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        return data

    return change


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (_set(["resourceType"], "Patient"), "resourceType"),
        (_set(["status"], "published"), "status"),
        (_set(["item", 0, "item", 1, "type"], "question"), "item[0].item[1].type"),
        (_set(["item", 0, "item", 1, "linkId"], "a"), "item[0].item[1].linkId"),
        (_set(["item", 0, "item", 0, "required"], "yes"), "item[0].item[0].required"),
        (_set(["item", 0, "item", 1, "maxLength"], 0), "item[0].item[1].maxLength"),
        (_set(["item", 0, "item"], "a"), "item[0].item"),
        (
            _set(
                ["item", 0, "item", 1, "enableWhen"],
                [{"question": "zz", "operator": "=", "answerBoolean": True}],
            ),
            "item[0].item[1].enableWhen[0].question",
        ),
        (
            _set(
                ["item", 0, "item", 1, "enableWhen"],
                [{"question": "g", "operator": "exists", "answerBoolean": True}],
            ),
            "item[0].item[1].enableWhen[0].question",
        ),
        (
            _set(
                ["item", 0, "item", 1, "enableWhen"],
                [{"question": "a", "operator": "~", "answerBoolean": True}],
            ),
            "item[0].item[1].enableWhen[0].operator",
        ),
        (
            _set(
                ["item", 0, "item", 1, "enableWhen"],
                [{"question": "a", "operator": "exists", "answerString": "x"}],
            ),
            "item[0].item[1].enableWhen[0].answerString",
        ),
        (
            _set(
                ["item", 0, "item", 1, "enableWhen"],
                [{"question": "a", "operator": ">", "answerBoolean": True}],
            ),
            "item[0].item[1].enableWhen[0].operator",
        ),
        (
            _set(
                ["item", 0, "item", 1, "enableWhen"],
                [{"question": "a", "operator": "=", "answerBoolean": True, "answerString": "x"}],
            ),
            "item[0].item[1].enableWhen[0]",
        ),
        (
            _set(
                ["item", 0, "item", 1, "enableWhen"],
                [{"question": "a", "operator": "=", "answerDate": "2020-13-01"}],
            ),
            "item[0].item[1].enableWhen[0].answerDate",
        ),
        (
            _set(["item", 0, "item", 1, "enableBehavior"], "some"),
            "item[0].item[1].enableBehavior",
        ),
        (_set(["item", 1, "answerValueSet"], "#missing"), "item[1].answerValueSet"),
        (_set(["item", 1, "answerOption"], [{"valueCoding": {"code": "x"}}]), "item[1]"),
        (_set(["item", 0, "item", 1, "answerOption"], [{"valueString": "x"}]), "item[0].item[1]"),
        (_set(["item", 1, "type"], "open-choice"), None),  # still fine
        (_set(["contained", 0, "compose", "include", 0, "concept", 1, "code"], "1"), "item[1]"),
        (
            _set(["contained", 0, "compose", "include", 0, "filter"], [{"op": "is-a"}]),
            "contained[0].compose.include[0]",
        ),
        (
            _set(["item", 0, "item", 1, "extension"], [ext(EXT + "regex", valueString="([a-z")]),
            "item[0].item[1].extension[0].valueString",
        ),
        (
            _set(["item", 0, "item", 1, "extension"], [ext(EXT + "regex", valueString="(a+)+$")]),
            "item[0].item[1].extension[0].valueString",
        ),
        (
            _set(["item", 0, "item", 1, "extension"], [ext(EXT + "minValue", valueInteger=3)]),
            "item[0].item[1].extension[0].valueInteger",
        ),
        (
            _set(["item", 0, "item", 1, "extension"], [{"valueString": "no url"}]),
            "item[0].item[1].extension[0]",
        ),
        (
            _set(["item", 0, "item", 1, "extension"], calculated("1 +* (")),
            "item[0].item[1].extension[0].valueExpression.expression",
        ),
        (
            _set(
                ["item", 0, "item", 1, "extension"], calculated("%resource.item.nosuchfunction()")
            ),
            "item[0].item[1].extension[0].valueExpression.expression",
        ),
        (
            _set(["item", 0, "item", 1, "extension"], calculated("%undefinedVariable + 1")),
            "item[0].item[1].extension[0].valueExpression.expression",
        ),
        (
            _set(
                ["item", 0, "item", 1, "extension"],
                calculated("Patient?name", "application/x-fhir-query"),
            ),
            "item[0].item[1].extension[0].valueExpression.language",
        ),
        (
            _set(
                ["item", 0, "item", 1, "extension"],
                [
                    ext(
                        SDC_EXT + "sdc-questionnaire-enableWhenExpression",
                        valueExpression=fhirpath("true"),
                    )
                ],
            ),
            None,
        ),
        (
            _set(
                ["extension"],
                [ext(EXT + "variable", valueExpression=fhirpath("'x'.foo(", name="v"))],
            ),
            "extension[0].valueExpression.expression",
        ),
        (
            _set(
                ["extension"],
                [ext(EXT + "variable", valueExpression=fhirpath("1", name="resource"))],
            ),
            "extension[0].valueExpression.name",
        ),
        (_set(["item", 0, "type"], "display"), "item[0].item"),
    ],
)
def test_a_definition_error_names_its_path(change: Any, path: str | None) -> None:
    data = change(base())
    if path is None:
        parse_definition(data)
        return
    with pytest.raises(DefinitionError) as caught:
        parse_definition(data)
    assert caught.value.path == path
    assert caught.value.message_zh and caught.value.message_en


def test_enablewhen_cycles_are_definition_errors() -> None:
    cycle = questionnaire(
        {
            "linkId": "a",
            "type": "string",
            "enableWhen": [{"question": "b", "operator": "exists", "answerBoolean": True}],
        },
        {
            "linkId": "b",
            "type": "string",
            "enableWhen": [{"question": "a", "operator": "exists", "answerBoolean": True}],
        },
    )
    with pytest.raises(DefinitionError) as caught:
        parse_definition(cycle)
    assert caught.value.path in ("item[0].enableWhen", "item[1].enableWhen")
    # a group enabled by its own child
    own = questionnaire(
        {
            "linkId": "g",
            "type": "group",
            "enableWhen": [{"question": "c", "operator": "exists", "answerBoolean": True}],
            "item": [{"linkId": "c", "type": "string"}],
        }
    )
    with pytest.raises(DefinitionError):
        parse_definition(own)


def test_definitions_that_are_too_big_or_too_deep() -> None:
    many = questionnaire(
        *({"linkId": f"q{i}", "type": "string"} for i in range(engine.MAX_ITEMS + 1))
    )
    with pytest.raises(DefinitionError) as caught:
        parse_definition(many)
    assert caught.value.path == f"item[{engine.MAX_ITEMS}]"
    node: dict[str, Any] = {"linkId": "leaf", "type": "string"}
    for depth in range(engine.MAX_DEPTH + 1):
        node = {"linkId": f"g{depth}", "type": "group", "item": [node]}
    with pytest.raises(DefinitionError):
        parse_definition(questionnaire(node))
    with pytest.raises(DefinitionError) as caught:
        parse_definition([])  # type: ignore[arg-type]
    assert caught.value.path == ""


def test_translations_units_and_flags_are_read() -> None:
    form = parse_definition(
        questionnaire(
            {
                "linkId": "q",
                "type": "choice",
                "text": "您吸烟吗？",
                "prefix": "1.",
                "_text": {
                    "extension": [
                        ext(
                            EXT + "translation",
                            extension=[
                                {"url": "lang", "valueCode": "en"},
                                {"url": "content", "valueString": "Do you smoke?"},
                            ],
                        )
                    ]
                },
                "answerOption": [
                    {
                        "valueCoding": {"code": "y", "display": "是"},
                        "extension": [
                            ext(
                                "https://jianguan.local/fhir/StructureDefinition/display-en",
                                valueString="Yes",
                            )
                        ],
                    },
                    {"valueInteger": 0, "extension": [ext(EXT + "ordinalValue", valueDecimal=0)]},
                ],
            },
            {
                "linkId": "hidden",
                "type": "string",
                "readOnly": True,
                "extension": [
                    ext(EXT + "questionnaire-hidden", valueBoolean=True),
                    ext(
                        "https://jianguan.local/fhir/StructureDefinition/text-en",
                        valueString="Hidden",
                    ),
                ],
            },
            extension=[
                ext("https://jianguan.local/fhir/StructureDefinition/title-en", valueString="Test")
            ],
        )
    )
    q = form.find("q")
    assert (q.text, q.text_en, q.prefix) == ("您吸烟吗？", "Do you smoke?", "1.")
    assert q.options[0].display_en == "Yes"
    assert q.options[1] == engine.Option("0", "0", "", 0.0, "integer", "")
    hidden = form.find("hidden")
    assert hidden.hidden and hidden.read_only and hidden.text_en == "Hidden"
    assert form.title_en == "Test"


# ---------------------------------------------------------------------------------------------
# QuestionnaireResponse round trip


def all_types_form() -> Definition:
    return parse_definition(
        questionnaire(
            {
                "linkId": "g",
                "type": "group",
                "text": "Everything",
                "item": [
                    {"linkId": "bool", "type": "boolean", "text": "Boolean"},
                    {"linkId": "dec", "type": "decimal"},
                    {"linkId": "int", "type": "integer", "repeats": True},
                    {"linkId": "date", "type": "date"},
                    {"linkId": "dt", "type": "dateTime"},
                    {"linkId": "time", "type": "time"},
                    {"linkId": "str", "type": "string"},
                    {"linkId": "text", "type": "text"},
                    {"linkId": "url", "type": "url"},
                    {
                        "linkId": "choice",
                        "type": "choice",
                        "repeats": True,
                        "answerOption": coding_options("a", "b", "c"),
                    },
                    {
                        "linkId": "choice-int",
                        "type": "choice",
                        "answerOption": [{"valueInteger": 1}, {"valueInteger": 2}],
                    },
                    {
                        "linkId": "choice-str",
                        "type": "choice",
                        "answerOption": [{"valueString": "红"}, {"valueString": "绿"}],
                    },
                    {
                        "linkId": "choice-date",
                        "type": "choice",
                        "answerOption": [{"valueDate": "2024-01-01"}],
                    },
                    {
                        "linkId": "choice-ext",
                        "type": "choice",
                        "answerValueSet": "http://example.org/ValueSet/x",
                    },
                    {
                        "linkId": "open",
                        "type": "open-choice",
                        "repeats": True,
                        "answerOption": coding_options("a", "b"),
                    },
                    {
                        "linkId": "qty",
                        "type": "quantity",
                        "extension": [
                            ext(
                                EXT + "questionnaire-unit",
                                valueCoding={
                                    "system": "http://unitsofmeasure.org",
                                    "code": "kg",
                                    "display": "千克",
                                },
                            )
                        ],
                    },
                    {"linkId": "att", "type": "attachment"},
                    {"linkId": "ref", "type": "reference"},
                    {
                        "linkId": "parent",
                        "type": "boolean",
                        "item": [{"linkId": "child", "type": "string"}],
                    },
                ],
            },
            {"linkId": "unanswered", "type": "group", "item": [{"linkId": "u", "type": "string"}]},
            {"linkId": "info", "type": "display", "text": "Thanks"},
        )
    )


EVERY_TYPE: dict[str, list[Any]] = {
    "bool": [False],
    "dec": [36.6],
    "int": [1, 2, 3],
    "date": ["2024-02-29"],
    "dt": ["2024-02-29T08:30:00+08:00"],
    "time": ["08:30:00"],
    "str": ["沈静"],
    "text": ["第一行\n第二行"],
    "url": ["https://example.org/x"],
    "choice": ["a", "c"],
    "choice-int": ["2"],
    "choice-str": ["绿"],
    "choice-date": ["2024-01-01"],
    "choice-ext": ["NSW"],
    "open": ["b", "自由文字"],
    "qty": [{"value": 61.5, "unit": "kg"}],
    "att": [{"contentType": "application/pdf", "size": 12345, "title": "报告.pdf"}],
    "ref": ["Practitioner/42"],
    "parent": [True],
    "child": ["nested under the answer"],
}


def test_every_data_type_round_trips_through_a_response() -> None:
    form = all_types_form()
    assert validate(form, EVERY_TYPE) == []
    response = to_response(
        form,
        EVERY_TYPE,
        status="in-progress",
        authored="2024-03-01T09:00:00+08:00",
        subject="Patient/7",
    )
    response = json.loads(json.dumps(response))  # plain JSON
    assert response["questionnaire"] == "https://jianguan.local/fhir/Questionnaire/test|3"
    assert (response["status"], response["authored"], response["subject"]) == (
        "in-progress",
        "2024-03-01T09:00:00+08:00",
        {"reference": "Patient/7"},
    )
    assert [i["linkId"] for i in response["item"]] == ["g"]  # no empty group, no display item
    by_id = {i["linkId"]: i for i in response["item"][0]["item"]}
    assert by_id["bool"]["text"] == "Boolean"
    assert by_id["dec"]["answer"] == [{"valueDecimal": 36.6}]
    assert by_id["int"]["answer"] == [{"valueInteger": 1}, {"valueInteger": 2}, {"valueInteger": 3}]
    assert by_id["dt"]["answer"] == [{"valueDateTime": "2024-02-29T08:30:00+08:00"}]
    assert by_id["url"]["answer"] == [{"valueUri": "https://example.org/x"}]
    assert by_id["choice"]["answer"][1] == {
        "valueCoding": {"system": "urn:test", "code": "c", "display": "C"}
    }
    assert by_id["choice-int"]["answer"] == [{"valueInteger": 2}]
    assert by_id["choice-str"]["answer"] == [{"valueString": "绿"}]
    assert by_id["choice-date"]["answer"] == [{"valueDate": "2024-01-01"}]
    assert by_id["choice-ext"]["answer"] == [{"valueCoding": {"code": "NSW"}}]
    assert by_id["open"]["answer"] == [
        {"valueCoding": {"system": "urn:test", "code": "b", "display": "B"}},
        {"valueString": "自由文字"},
    ]
    assert by_id["qty"]["answer"] == [
        {
            "valueQuantity": {
                "value": 61.5,
                "unit": "kg",
                "system": "http://unitsofmeasure.org",
                "code": "kg",
            }
        }
    ]
    assert by_id["ref"]["answer"] == [{"valueReference": {"reference": "Practitioner/42"}}]
    assert by_id["parent"]["answer"] == [
        {
            "valueBoolean": True,
            "item": [{"linkId": "child", "answer": [{"valueString": "nested under the answer"}]}],
        }
    ]
    assert answers_from_response(form, response) == EVERY_TYPE


def test_a_quantity_without_a_unit_takes_the_items_unit() -> None:
    form = all_types_form()
    response = to_response(form, {"qty": [{"value": 2.0}]})
    quantity = response["item"][0]["item"][0]["answer"][0]["valueQuantity"]
    assert quantity == {
        "value": 2.0,
        "unit": "千克",
        "system": "http://unitsofmeasure.org",
        "code": "kg",
    }
    assert answers_from_response(form, response) == {"qty": [{"value": 2.0, "unit": "千克"}]}


def test_to_response_leaves_out_disabled_answers_and_refuses_bad_ones() -> None:
    form = rules_form()
    response = to_response(form, {"name": ["沈静"], "cigarettes": [3]})
    assert answers_from_response(form, response) == {"name": ["沈静"]}
    with pytest.raises(engine.ResponseError) as caught:
        to_response(form, {"age": ["forty"], "nope": [1]})
    assert codes(caught.value.errors) == {("age", "wrong_type"), ("nope", "unknown_item")}
    with pytest.raises(ValueError, match="status"):
        to_response(form, {}, status="done")
    empty = to_response(form, {}, status="in-progress")
    assert "item" not in empty and empty["status"] == "in-progress"


@pytest.mark.parametrize(
    "response",
    [
        {"resourceType": "Questionnaire"},
        {"resourceType": "QuestionnaireResponse", "item": {"linkId": "a"}},
        {"resourceType": "QuestionnaireResponse", "item": [{"text": "no linkId"}]},
        {"resourceType": "QuestionnaireResponse", "item": [{"linkId": "name", "answer": [{}]}]},
        {
            "resourceType": "QuestionnaireResponse",
            "item": [{"linkId": "name", "answer": [{"valueString": "a", "valueInteger": 1}]}],
        },
        {
            "resourceType": "QuestionnaireResponse",
            "item": [{"linkId": "smoke", "answer": [{"valueCoding": {"display": "x"}}]}],
        },
        {
            "resourceType": "QuestionnaireResponse",
            "item": [{"linkId": "x", "item": [{"linkId": "x"}] * (engine.MAX_RESPONSE_NODES + 1)}],
        },
    ],
)
def test_a_malformed_response_is_a_response_error(response: dict[str, Any]) -> None:
    with pytest.raises(engine.ResponseError) as caught:
        answers_from_response(rules_form(), response)
    assert {e.code for e in caught.value.errors} == {"malformed"}


def test_answers_to_unknown_items_in_a_response_are_kept_for_validation() -> None:
    form = rules_form()
    response = {
        "resourceType": "QuestionnaireResponse",
        "item": [
            {"linkId": "g", "item": [{"linkId": "ghost", "answer": [{"valueString": "boo"}]}]}
        ],
    }
    answers = answers_from_response(form, response)
    assert answers == {"ghost": ["boo"]}
    assert ("ghost", "unknown_item") in codes(validate(form, answers))


# ---------------------------------------------------------------------------------------------
# FHIRPath failures at run time


def test_fhirpath_errors_on_real_answers_are_item_errors_not_tracebacks() -> None:
    form = parse_definition(
        questionnaire(
            {"linkId": "n", "type": "integer"},
            {
                "linkId": "calc",
                "type": "decimal",
                "extension": calculated(
                    "%resource.repeat(item).where(linkId='n').answer.value + 'x'"
                ),
            },
            {
                "linkId": "shown",
                "type": "string",
                "extension": [
                    ext(
                        SDC_EXT + "sdc-questionnaire-enableWhenExpression",
                        valueExpression=fhirpath("%resource.repeat(item).answer.value"),
                    )
                ],
            },
        )
    )
    answers = {"n": [2]}
    scores = score(form, answers)
    assert scores.calculated == {"calc": None}
    assert "shown" not in enabled(form, answers)
    errors = validate(form, answers)
    assert codes(errors) == {("calc", "expression_error"), ("shown", "expression_error")}
    assert "Cannot" in errors[0].message_en
    # the answers themselves can still be stored
    assert answers_from_response(form, to_response(form, answers)) == answers
    # with no answers both expressions are empty, not errors
    assert validate(form, {}) == []


# ---------------------------------------------------------------------------------------------
# Hostile input: refused, and quickly


def timed(call: Any, *args: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = call(*args)
    return result, time.perf_counter() - start


def test_ten_thousand_answers_to_one_item_are_refused_quickly() -> None:
    form = rules_form()
    answers = {**VALID, "symptoms": ["cough"] * 10_000}
    errors, seconds = timed(validate, form, answers)
    assert ("symptoms", "too_many_answers") in codes(errors)
    assert seconds < 0.5
    scores, seconds = timed(score, form, answers)
    assert scores.by_item == {} and seconds < 0.5
    with pytest.raises(engine.ResponseError):
        to_response(form, answers)


def test_ten_thousand_answered_items_are_refused_quickly() -> None:
    form = defn("questionnaire-sdc-profile-example-PHQ9.json")
    answers = {f"item-{i}": ["x"] for i in range(10_000)}
    errors, seconds = timed(validate, form, answers)
    assert codes(errors) == {("", "too_many_answers")}
    assert seconds < 0.5
    spread = {f"H1/T1/Q{i}": ["Not-at-all"] * 100 for i in range(1, 10)} | {
        "H1/TS": [{"value": 1.0}] * 100
    }
    errors, seconds = timed(validate, form, {**spread, **{"H1/T1/Q1": ["Not-at-all"] * 9_000}})
    assert ("", "too_many_answers") in codes(errors) and seconds < 0.5
    _, seconds = timed(score, form, answers)
    assert seconds < 0.5


def test_a_one_megabyte_string_is_refused_quickly() -> None:
    form = rules_form()
    huge = "a" * 1_000_000
    for answers in (
        {**VALID, "phone": [huge]},  # has a regex: never run on it
        {**VALID, "notes": [huge]},
        {**VALID, "weight": [{"value": 1.0, "unit": huge}]},
        {**VALID, "scan": [{"contentType": "image/png", "title": huge}]},
    ):
        errors, seconds = timed(validate, form, answers)
        assert {e.code for e in errors} == {"oversized"}
        assert seconds < 0.5
        _, seconds = timed(score, form, answers)
        assert seconds < 0.5


def test_a_one_megabyte_response_reads_quickly_and_then_fails_validation() -> None:
    form = rules_form()
    response = {
        "resourceType": "QuestionnaireResponse",
        "item": [{"linkId": "notes", "answer": [{"valueString": "a" * 1_000_000}]}],
    }
    answers, seconds = timed(answers_from_response, form, response)
    assert seconds < 0.5
    assert codes(validate(form, answers)) >= {("notes", "oversized")}


def test_scoring_is_fast_enough_for_bulk_rescoring() -> None:
    form = defn("questionnaire-sdc-profile-example-PHQ9.json")
    answers = answers_from_response(
        form, load(SDC / "questionnaireresponse-sdc-profile-example-PHQ9.json")
    )
    score(form, answers)
    _, seconds = timed(lambda: [score(form, answers) for _ in range(50)])
    assert seconds < 2.5  # well under 50 ms a response, calculated total included


def test_definitions_and_answers_are_not_modified() -> None:
    data = load(SDC / "questionnaire-sdc-profile-example-PHQ9.json")
    before = copy.deepcopy(data)
    form = parse_definition(data)
    answers = {"H1/T1/Q1": ["Several-days"]}
    frozen = copy.deepcopy(answers)
    score(form, answers)
    validate(form, answers)
    to_response(form, answers)
    assert data == before and answers == frozen
