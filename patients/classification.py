"""2013 ACR/EULAR classification criteria for systemic sclerosis.

van den Hoogen F et al., Arthritis Rheum 2013;65:2737-47. The score is the sum over items of the
highest weight present within each item; a score >= 9 classifies as SSc. The criteria do not apply
when skin thickening spares the fingers or a scleroderma-like disorder explains the findings
better: that is "not applicable", never a low score.
"""

from __future__ import annotations

from dataclasses import dataclass

CLASSIFICATION_THRESHOLD = 9


@dataclass(frozen=True)
class ClassificationItems:
    skin_thickening_proximal_to_mcp: bool = False  # sufficient on its own: 9
    puffy_fingers: bool = False  # 2 } count the higher only
    sclerodactyly: bool = False  # 4 }
    digital_tip_ulcers: bool = False  # 2 } count the higher only
    fingertip_pitting_scars: bool = False  # 3 }
    telangiectasia: bool = False  # 2
    abnormal_nailfold_capillaries: bool = False  # 2
    pulmonary_arterial_hypertension: bool = False  # 2 } either or both
    interstitial_lung_disease: bool = False  # 2 }
    raynaud_phenomenon: bool = False  # 3
    ssc_autoantibody: bool = False  # 3: ACA, anti-Scl-70 or anti-RNA pol III positive
    not_applicable: bool = False


def acr_eular_2013_score(items: ClassificationItems) -> int | None:
    """Total score (0-28), or None when the criteria do not apply."""
    if items.not_applicable:
        return None
    score = 9 if items.skin_thickening_proximal_to_mcp else 0
    score += 4 if items.sclerodactyly else 2 if items.puffy_fingers else 0
    score += 3 if items.fingertip_pitting_scars else 2 if items.digital_tip_ulcers else 0
    score += 2 if items.telangiectasia else 0
    score += 2 if items.abnormal_nailfold_capillaries else 0
    pah_or_ild = items.pulmonary_arterial_hypertension or items.interstitial_lung_disease
    score += 2 if pah_or_ild else 0
    score += 3 if items.raynaud_phenomenon else 0
    score += 3 if items.ssc_autoantibody else 0
    return score


def meets_acr_eular_2013(score: int | None) -> bool | None:
    """True when the score classifies as SSc; None when the criteria do not apply."""
    if score is None:
        return None
    return score >= CLASSIFICATION_THRESHOLD
