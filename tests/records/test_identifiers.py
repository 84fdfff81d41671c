"""D-29: identity documents are checked offline; warnings are confirmed, errors are refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from jianguan.records import identifiers as ids

from .conftest import resident_id


def codes(warnings: Sequence[tuple[str, object]]) -> list[str]:
    return [code for code, _message in warnings]


def refused(kind: str, raw: str) -> str:
    with pytest.raises(ids.InvalidIdentifier) as caught:
        ids.check_identifier(kind, raw)
    assert str(caught.value.message)  # a message a clerk can act on, never empty
    return caught.value.code


def x_checked() -> str:
    """A valid resident ID whose check character is X."""
    for seq in range(1000):
        first17 = f"11010119800101{seq:03d}"
        if ids.check_digit(first17) == "X":
            return first17 + "X"
    raise AssertionError("no sequence gives X")


# --- check digits -----------------------------------------------------------------------------


def test_check_digit_follows_iso_7064_mod_11_2() -> None:
    # GB 11643-1999's worked example: 11010519491231002 → X.
    assert ids.check_digit("11010519491231002") == "X"
    assert ids.check_digit("44052418800101001") == "4"


# --- valid numbers of each 18-digit type --------------------------------------------------------


def test_a_valid_resident_id_gives_birth_date_and_sex() -> None:
    checked = ids.check_identifier(ids.RESIDENT_ID, resident_id(seq="123"))
    assert checked.value == resident_id(seq="123")
    assert checked.birth_date == dt.date(1980, 1, 1)
    assert checked.sex == "M"  # odd sequence digit
    assert checked.warnings == []


def test_an_even_sequence_digit_means_female() -> None:
    assert ids.check_identifier(ids.RESIDENT_ID, resident_id(seq="124")).sex == "F"


@pytest.mark.parametrize("area", ["810000", "820000", "830000"])
def test_a_valid_hmt_residence_permit_is_accepted(area: str) -> None:
    checked = ids.check_identifier(ids.HMT_RESIDENCE, resident_id(area=area))
    assert checked.type == ids.HMT_RESIDENCE
    assert checked.birth_date == dt.date(1980, 1, 1)
    assert checked.warnings == []


def test_a_valid_2023_foreign_permanent_residence_card_is_accepted() -> None:
    number = resident_id(area="911156", birth="19750615", seq="012")
    checked = ids.check_identifier(ids.FOREIGN_PERMANENT, number)
    assert checked.birth_date == dt.date(1975, 6, 15)
    assert checked.sex == "F"


# --- refusals ---------------------------------------------------------------------------------


def test_a_wrong_check_digit_is_refused() -> None:
    good = resident_id()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    assert refused(ids.RESIDENT_ID, bad) == "id_checksum"


def test_a_transposed_pair_of_digits_is_refused() -> None:
    good = resident_id(seq="123")
    swapped = good[:14] + good[15] + good[14] + good[16:]
    assert refused(ids.RESIDENT_ID, swapped) == "id_checksum"


def test_an_impossible_birth_date_is_refused() -> None:
    assert refused(ids.RESIDENT_ID, resident_id(birth="19800230")) == "id_birth_date"


def test_a_birth_date_in_the_future_is_refused() -> None:
    future = (dt.date.today() + dt.timedelta(days=400)).strftime("%Y%m%d")
    assert refused(ids.RESIDENT_ID, resident_id(birth=future)) == "id_birth_date"


def test_a_birth_date_before_1890_is_refused() -> None:
    assert refused(ids.RESIDENT_ID, resident_id(birth="18800101")) == "id_birth_date"


@pytest.mark.parametrize("raw", ["11010119800101123", "1101011980010112345", "11010119800101A23X"])
def test_a_number_of_the_wrong_shape_is_refused(raw: str) -> None:
    assert refused(ids.RESIDENT_ID, raw) == "id_format"


def test_digits_of_other_scripts_are_refused() -> None:
    arabic_indic = "".join(chr(0x0660 + int(d)) for d in resident_id()[:17]) + resident_id()[17]
    assert refused(ids.RESIDENT_ID, arabic_indic) == "id_format"


@pytest.mark.parametrize("area", ["810000", "820000", "830000"])
def test_a_residence_permit_number_entered_as_resident_id_is_refused(area: str) -> None:
    assert refused(ids.RESIDENT_ID, resident_id(area=area)) == "id_type_mismatch"


@pytest.mark.parametrize("area", ["911156", "931840"])
def test_a_permanent_residence_number_entered_as_resident_id_is_refused(area: str) -> None:
    assert refused(ids.RESIDENT_ID, resident_id(area=area)) == "id_type_mismatch"


def test_a_resident_id_entered_as_residence_permit_is_refused() -> None:
    assert refused(ids.HMT_RESIDENCE, resident_id()) == "id_type_mismatch"


def test_a_resident_id_entered_as_permanent_residence_is_refused() -> None:
    assert refused(ids.FOREIGN_PERMANENT, resident_id()) == "id_type_mismatch"


def test_an_unknown_document_type_is_refused() -> None:
    assert refused("driving_licence", resident_id()) == "id_type_unknown"


@pytest.mark.parametrize("raw", ["", "   ", "\u3000"])
def test_an_empty_number_is_refused(raw: str) -> None:
    assert refused(ids.RESIDENT_ID, raw) == "id_required"


# --- warnings (D-29: confirmed by a person, not refused) ----------------------------------------


def test_an_unknown_area_code_is_a_warning_not_an_error() -> None:
    checked = ids.check_identifier(ids.RESIDENT_ID, resident_id(area="123456"))
    assert codes(checked.warnings) == ["id_area_unknown"]


def test_a_typed_birth_date_that_differs_from_the_number_is_a_warning() -> None:
    checked = ids.check_identifier(ids.RESIDENT_ID, resident_id())
    warnings = ids.cross_check(checked, dt.date(1980, 1, 2), "M")
    assert codes(warnings) == ["id_birth_mismatch"]


def test_a_typed_sex_that_differs_from_the_number_is_a_warning() -> None:
    checked = ids.check_identifier(ids.RESIDENT_ID, resident_id(seq="123"))
    assert codes(ids.cross_check(checked, dt.date(1980, 1, 1), "F")) == ["id_sex_mismatch"]


def test_an_unknown_sex_is_no_mismatch() -> None:
    checked = ids.check_identifier(ids.RESIDENT_ID, resident_id())
    assert ids.cross_check(checked, None, "U") == []


def test_cross_check_keeps_the_area_warning() -> None:
    checked = ids.check_identifier(ids.RESIDENT_ID, resident_id(area="123456"))
    warnings = ids.cross_check(checked, dt.date(1980, 1, 1), "F")
    assert codes(warnings) == ["id_area_unknown", "id_sex_mismatch"]


# --- other documents ----------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["E12345678", "G1234567", "ea 1234567", "123456789"])
def test_passport_numbers_of_5_to_17_letters_or_digits_are_accepted(raw: str) -> None:
    checked = ids.check_identifier(ids.PASSPORT, raw)
    assert checked.value == ids.normalise(raw)
    assert checked.birth_date is None and checked.sex is None


@pytest.mark.parametrize("raw", ["E12", "E-1234567", "E1234567890123456789", "护照1234567"])
def test_malformed_passport_numbers_are_refused(raw: str) -> None:
    assert refused(ids.PASSPORT, raw) == "passport_format"


@pytest.mark.parametrize("raw", ["H12345678", "M1234567890", "12345678"])
def test_travel_permit_numbers_of_8_to_11_characters_are_accepted(raw: str) -> None:
    assert ids.check_identifier(ids.HMT_TRAVEL_PERMIT, raw).value == raw


@pytest.mark.parametrize("raw", ["H1234", "H123456789012", "H1234/5678"])
def test_malformed_travel_permit_numbers_are_refused(raw: str) -> None:
    assert refused(ids.HMT_TRAVEL_PERMIT, raw) == "permit_format"


def test_an_mrn_keeps_hyphens_and_is_upper_cased() -> None:
    assert ids.check_identifier(ids.MRN, "his-00123a").value == "HIS-00123A"


@pytest.mark.parametrize("raw", ["A/B", "X" * 41, "病历1"])
def test_malformed_mrns_are_refused(raw: str) -> None:
    assert refused(ids.MRN, raw) == "mrn_format"


# --- normalisation (NFKC, spaces, case) ---------------------------------------------------------


def test_full_width_digits_are_normalised() -> None:
    number = resident_id()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
    assert ids.check_identifier(ids.RESIDENT_ID, full_width).value == number


def test_spaces_inside_a_number_are_removed() -> None:
    number = resident_id()
    spaced = f" {number[:6]} {number[6:14]}\u3000{number[14:]} "
    assert ids.check_identifier(ids.RESIDENT_ID, spaced).value == number


def test_a_lower_case_x_check_character_is_accepted_and_upper_cased() -> None:
    number = x_checked()
    assert ids.check_identifier(ids.RESIDENT_ID, number.lower()).value == number


def test_a_full_width_x_check_character_is_accepted() -> None:
    number = x_checked()
    assert ids.check_identifier(ids.RESIDENT_ID, number[:17] + "ｘ").value == number


# --- mobile numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "+86 138 1234 5678",
        "+8613812345678",
        "0086-138-1234-5678",
        "138-1234-5678",
        " 138 1234 5678 ",
        "１３８１２３４５６７８",
        "＋８６　１３８１２３４５６７８",
    ],
)
def test_mobile_numbers_are_normalised_to_eleven_digits(raw: str) -> None:
    assert ids.normalise_mobile(raw) == "13812345678"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "12812345678",  # no mainland mobile starts 12
        "23812345678",
        "+1 415 555 0100",
        "021-64041990",  # a landline
        "138abcd5678",
        "8613812345678",  # country code without + or 00
    ],
)
def test_malformed_mobile_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ids.InvalidIdentifier) as caught:
        ids.normalise_mobile(raw)
    assert caught.value.code == "mobile_format"


# --- masking (D-16) -----------------------------------------------------------------------------


def test_an_id_number_is_masked_to_its_first_three_and_last_four() -> None:
    assert ids.mask_identifier("110101198001011234") == "110***********1234"


def test_a_passport_number_is_masked_keeping_first_three_and_last_four() -> None:
    assert ids.mask_identifier("E12345678") == "E12**5678"


def test_a_short_value_shows_only_its_first_character() -> None:
    assert ids.mask_identifier("A12345") == "A*****"


def test_a_mobile_number_is_masked_in_the_middle() -> None:
    assert ids.mask_mobile("13812345678") == "138****5678"


def test_a_masked_value_has_the_length_of_the_original() -> None:
    for value in ("110101198001011234", "E12345678", "A1", "13812345678"):
        masked = ids.mask_mobile(value) if len(value) == 11 else ids.mask_identifier(value)
        assert len(masked) == len(value)
