"""Names, variable labels and value codes of the SPSS and Stata files (pure: no database)."""

import pytest

from exports import codes
from exports.columns import BOOLEAN, CATEGORY, INTEGER, NUMBER, Column, from_field
from exports.formats.value_labels import (
    SPSS,
    STATA,
    codes_text,
    file_names,
    fit,
    value_labels,
    variable_label,
)
from imaging.models import CalcinosisLesion
from patients.models import Patient

LONGEST = Column("longest_diameter_mm", NUMBER, "longest diameter mm", unit=codes.MM)


def test_the_long_names_keep_their_last_word_in_stata():
    """29 characters: 19 of the head + "_" + "precision" (9); "mcp" leaves room for 24 + 1."""
    names = ["first_non_raynaud_onset_precision", "skin_thickening_proximal_to_mcp",
             "pulmonary_arterial_hypertension", "abnormal_nailfold_capillaries", "sex"]
    assert file_names(names, STATA) == {
        "first_non_raynaud_onset_precision": "first_non_raynaud_o_precision",
        "skin_thickening_proximal_to_mcp": "skin_thickening_proximal_mcp",
        "pulmonary_arterial_hypertension": "pulmonary_arteri_hypertension",
        "abnormal_nailfold_capillaries": "abnormal_nailfold_capillaries",  # 29: kept
        "sex": "sex",
    }
    assert file_names(names, SPSS) == {name: name for name in names}  # all within 64


def test_a_shortened_name_never_takes_another_variables_name():
    names = ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_x", "aaaaaaaaaaaaaaaaaaaaaaaaaaa_x",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_x"]
    renamed = file_names(names, STATA)
    assert renamed[names[1]] == names[1]  # 29 characters, its own
    assert renamed[names[0]] == "aaaaaaaaaaaaaaaaaaaaaaaaaaa_2"
    assert renamed[names[2]] == "aaaaaaaaaaaaaaaaaaaaaaaaaaa_3"
    assert all(len(name) <= 29 for name in renamed.values())


def test_reserved_words_and_invalid_names():
    assert file_names(["with", "to", "in"], SPSS) == {"with": "with_v", "to": "to_v", "in": "in"}
    assert file_names(["in", "str12", "byte"], STATA) == {
        "in": "in_v", "str12": "str12_v", "byte": "byte_v"}
    with pytest.raises(ValueError, match="not a variable name"):
        file_names(["2nd_visit"], SPSS)


def test_variable_labels_carry_the_unit():
    assert variable_label(LONGEST, SPSS) == "longest diameter (mm)"
    sld = Column("sum_longest_diameter_mm", NUMBER, "sum of longest diameters (SLD)",
                 unit=codes.MM)
    assert variable_label(sld, STATA) == "sum of longest diameters (SLD, mm)"
    vas = Column("calcinosis_pain_vas_mm", INTEGER, "calcinosis pain (VAS 0-100 mm)",
                 unit=codes.MM)
    assert variable_label(vas, SPSS) == "calcinosis pain (VAS 0-100 mm)"
    attacks = Column("raynaud_attacks_per_day", NUMBER, "Raynaud attacks per day",
                     unit=codes.PER_DAY)
    assert variable_label(attacks, SPSS) == "Raynaud attacks (per day)"
    assert variable_label(LONGEST.for_mode("keep"), STATA) == "longest diameter (mm)"
    assert variable_label(Column("sex", CATEGORY, "sex"), STATA) == "sex"


def test_labels_past_the_limit_are_cut_on_a_character():
    """Stata: 80 bytes; 40 two-byte characters fit, 41 do not: 38 (76 bytes) + "..."."""
    assert fit("é" * 40, 80) == "é" * 40
    assert fit("é" * 41, 80) == "é" * 38 + "..."
    long_label = Column("x", NUMBER, "x" * 90)
    assert len(variable_label(long_label, STATA)) == 80
    assert variable_label(long_label, SPSS) == "x" * 90


def test_categories_are_numbered_in_the_declared_order():
    sex = from_field(Patient, "sex", sql="p.sex")
    assert sex.choices == ("female", "male", "other", "unknown")
    assert value_labels(sex, SPSS) == {1: "Female", 2: "Male", 3: "Other", 4: "Unknown"}
    assert codes_text(sex, STATA) == (
        "1 = female (Female); 2 = male (Male); 3 = other (Other); 4 = unknown (Unknown)"
    )


def test_integer_choices_keep_their_values_and_booleans_are_0_1():
    digit = from_field(CalcinosisLesion, "digit", sql="l.digit")
    assert value_labels(digit, STATA) == {
        1: "1 (thumb)", 2: "2 (index)", 3: "3 (middle)", 4: "4 (ring)", 5: "5 (little)"}
    assert codes_text(digit, SPSS).startswith("1 = 1 (thumb); 2 = 2 (index)")
    flag = Column("ulceration", BOOLEAN, "ulceration over a deposit")
    assert value_labels(flag, SPSS) == {0: "No", 1: "Yes"}
    assert codes_text(flag, SPSS) == "0 = false (No); 1 = true (Yes)"
    assert value_labels(LONGEST, SPSS) == {} and codes_text(LONGEST, SPSS) == ""


def test_from_field_keeps_the_choice_labels_beside_the_values():
    subtype = from_field(Patient, "ssc_subtype", sql="p.ssc_subtype")
    assert dict(zip(subtype.choices, subtype.choice_labels, strict=True))[
        "limited_cutaneous"] == "Limited cutaneous"
    # A column built by hand without labels: its values are their own labels.
    status = Column("status", CATEGORY, "series status", choices=("baseline", "stable"))
    assert value_labels(status, STATA) == {1: "baseline", 2: "stable"}
