"""Password rules (AUTHN-02, D-19): any composition of 8–128 characters, nothing guessable."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from jianguan.accounts.models import Institution, User

pytestmark = pytest.mark.django_db


def codes_for(password: str, user: User | None = None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        return [e.code or "" for e in exc.error_list]
    return []


def message_for(password: str, user: User | None = None) -> str:
    with pytest.raises(ValidationError) as info:
        validate_password(password, user)
    return " ".join(str(m) for m in info.value.messages)


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "我的密码是一句很长的话",
        "tr0ub4dor&3x",
        "eight ch",
        "x" * 3 + "y" * 3 + "z" * 2,
        "lowercase only passphrase",
        "48291736",
    ],
)
def test_any_composition_of_eight_or_more_characters_is_accepted(password: str) -> None:
    assert codes_for(password) == []


def test_seven_characters_are_too_short() -> None:
    assert codes_for("a7#kQ2m") == ["password_too_short"]


def test_too_short_says_the_minimum() -> None:
    assert "8" in message_for("a7#kQ2m")


def test_one_hundred_twenty_eight_characters_are_accepted() -> None:
    assert codes_for(("horse battery " * 10)[:128]) == []


def test_more_than_one_hundred_twenty_eight_characters_are_refused() -> None:
    assert "password_too_long" in codes_for("k" * 60 + " " + "q" * 68)


@pytest.mark.parametrize("password", ["password", "iloveyou", "sunshine", "princess1"])
def test_common_passwords_from_djangos_list_are_refused(password: str) -> None:
    assert codes_for(password) == ["password_common"]


@pytest.mark.parametrize(
    "password", ["woaini1314", "WoAiNi1314", "wodemima", "zhongguo123", "woaiwojia!", "laogong88"]
)
def test_chinese_common_passwords_are_refused_case_insensitively(password: str) -> None:
    assert codes_for(password) == ["password_common"]


@pytest.mark.parametrize("password", ["zhangwei19900101", "xiaoming2024", "baobei520"])
def test_pinyin_words_with_a_date_or_number_suffix_are_refused(password: str) -> None:
    assert codes_for(password) == ["password_common"]


@pytest.mark.parametrize(
    "password", ["qwertyuiop", "1qaz2wsx3edc", "poiuytrewq", "asdfghjkl;", "zxcvbnm,./"]
)
def test_keyboard_walks_are_refused(password: str) -> None:
    assert codes_for(password) in (["password_keyboard"], ["password_common"])


def test_a_keyboard_walk_not_in_any_list_is_refused_as_a_walk() -> None:
    assert codes_for("5tgb6yhn7ujm") == ["password_keyboard"]


def test_keyboard_message_says_why() -> None:
    assert "键盘" in message_for("5tgb6yhn7ujm")


@pytest.mark.parametrize("password", ["12345678", "87654321", "3456789012"])
def test_digit_runs_are_refused(password: str) -> None:
    assert codes_for(password) in (["password_digit_run"], ["password_common"])


@pytest.mark.parametrize("password", ["88888888", "12121212", "abcabcabc", "aaaaaaaaaa"])
def test_repetitions_are_refused(password: str) -> None:
    assert codes_for(password) == ["password_repeated"]


@pytest.mark.parametrize("password", ["19900101", "20011231", "01021988", "1985061288"])
def test_dates_are_refused(password: str) -> None:
    assert codes_for(password) == ["password_date"]


def test_date_message_says_why() -> None:
    assert "日期" in message_for("19900101")


@pytest.mark.parametrize("password", ["13912345678", "18800001111", "a13912345678!"])
def test_mobile_numbers_are_refused(password: str) -> None:
    assert codes_for(password) == ["password_mobile"]


@pytest.mark.parametrize("password", ["jianguan2024", "Tijian@Center", "我很喜欢健管这个系统"])
def test_the_product_name_is_refused(password: str) -> None:
    assert codes_for(password) == ["password_product_name"]


def test_the_institution_code_is_refused(make_user: Callable[..., User]) -> None:
    Institution.objects.create(code="sunrise", name="朝阳体检")
    user = make_user(inst=Institution.objects.get(code="sunrise"))
    assert "password_product_name" in codes_for("Sunrise-clinic-77", user)


def test_the_institution_code_is_allowed_for_users_of_other_institutions(
    make_user: Callable[..., User],
) -> None:
    Institution.objects.create(code="sunrise", name="朝阳体检")
    assert codes_for("Sunrise-clinic-77", make_user()) == []


def test_the_username_is_refused(make_user: Callable[..., User]) -> None:
    user = make_user(username="liming-doc")
    assert codes_for("LiMing-Doc-2026", user) == ["password_username"]


def test_the_users_mobile_number_is_refused(make_user: Callable[..., User]) -> None:
    user = make_user(mobile="13900001111")
    assert codes_for("my phone 13900001111 ok", user) == ["password_user_attribute"]


def test_composition_is_not_required_by_default(make_user: Callable[..., User]) -> None:
    assert codes_for("all lower case words", make_user()) == []


def test_composition_applies_when_the_institution_switches_it_on(
    make_user: Callable[..., User], institution: Institution
) -> None:
    institution.password_composition = True
    institution.save()
    assert codes_for("all lower case words", make_user()) == ["password_composition"]


def test_composition_accepts_three_classes_when_switched_on(
    make_user: Callable[..., User], institution: Institution
) -> None:
    institution.password_composition = True
    institution.save()
    assert codes_for("Lower and Upper 42", make_user()) == []


def test_every_rule_has_help_text() -> None:
    from django.contrib.auth.password_validation import password_validators_help_texts

    texts = password_validators_help_texts()
    assert len(texts) == 4 and all(texts)
