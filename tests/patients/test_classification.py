"""2013 ACR/EULAR criteria against the worked examples of DOMAIN.md (van den Hoogen 2013)."""

from patients.classification import ClassificationItems, acr_eular_2013_score, meets_acr_eular_2013


def score(**items) -> int | None:
    return acr_eular_2013_score(ClassificationItems(**items))


def test_sclerodactyly_raynaud_aca_meets():
    """Sclerodactyly 4 + Raynaud 3 + ACA 3 = 10 >= 9: classifies as SSc."""
    total = score(sclerodactyly=True, raynaud_phenomenon=True, ssc_autoantibody=True)
    assert total == 10
    assert meets_acr_eular_2013(total) is True


def test_puffy_fingers_and_sclerodactyly_count_the_higher_only():
    """Puffy fingers (2) and sclerodactyly (4) together count 4, not 6."""
    assert score(puffy_fingers=True, sclerodactyly=True) == 4
    assert score(puffy_fingers=True) == 2


def test_fingertip_lesions_count_the_higher_only():
    """Digital tip ulcers (2) and pitting scars (3) together count 3."""
    assert score(digital_tip_ulcers=True, fingertip_pitting_scars=True) == 3
    assert score(digital_tip_ulcers=True) == 2


def test_pah_and_ild_count_once():
    """PAH and/or ILD is one item of weight 2."""
    assert score(pulmonary_arterial_hypertension=True, interstitial_lung_disease=True) == 2
    assert score(interstitial_lung_disease=True) == 2


def test_maximum_without_the_sufficient_item_is_19():
    """4 + 3 + 2 + 2 + 2 + 3 + 3 = 19 with every item but proximal skin thickening."""
    every = {name: True for name in ClassificationItems.__dataclass_fields__}
    every.update(skin_thickening_proximal_to_mcp=False, not_applicable=False)
    assert score(**every) == 19


def test_proximal_skin_thickening_is_sufficient_alone():
    """Skin thickening proximal to the MCPs weighs 9: classifies on its own."""
    total = score(skin_thickening_proximal_to_mcp=True)
    assert total == 9
    assert meets_acr_eular_2013(total) is True


def test_eight_points_do_not_classify():
    """Sclerodactyly 4 + telangiectasia 2 + nailfold 2 = 8 < 9."""
    total = score(sclerodactyly=True, telangiectasia=True, abnormal_nailfold_capillaries=True)
    assert total == 8
    assert meets_acr_eular_2013(total) is False


def test_not_applicable_is_not_a_low_score():
    """A scleroderma-like disorder: the criteria do not apply (None), even with items present."""
    total = score(sclerodactyly=True, raynaud_phenomenon=True, not_applicable=True)
    assert total is None
    assert meets_acr_eular_2013(total) is None
