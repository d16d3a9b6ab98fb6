"""imaging.dicom.render: PNG previews: modality LUT, VOI windowing, MONOCHROME1 inversion."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from imaging.dicom.read import read_dicom
from imaging.dicom.render import render_preview
from tests.imaging.dicom_factory import (
    LIMITS,
    SECONDARY_CAPTURE,
    JPEG2000Lossless,
    RLELossless,
    make_dx,
    to_bytes,
)

# One row of known values, repeated so the image is 4 x 5 (no resize at max_size 64).
RAMP = np.array([[0, 1000, 2000, 3000, 4095]] * 4, dtype=np.uint16)


def _render(ds: Dataset, max_size: int = 64) -> Image.Image:
    png = render_preview(read_dicom(to_bytes(ds), limits=LIMITS), max_size=max_size)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(png))


def _row(ds: Dataset) -> list[int]:
    return np.asarray(_render(ds))[0].tolist()


def test_preview_is_8_bit_grayscale_keeping_the_aspect_ratio():
    """A 128 x 96 radiograph at max_size 64 becomes a 48 x 64 (width x height) L image."""
    image = _render(make_dx(), max_size=64)
    assert image.mode == "L"
    assert image.size == (48, 64)


def test_small_images_are_not_enlarged():
    """max_size is an upper bound."""
    assert _render(make_dx(), max_size=500).size == (96, 128)


def test_min_max_when_there_is_no_window():
    """0..4095 stretched to 0..255: 1000 -> 62.3 -> 62, 2000 -> 124.5 -> 125 (round half even
    would give 124; np.rint on 124.54 gives 125)."""
    assert _row(make_dx(pixels=RAMP)) == [0, 62, 125, 187, 255]


def test_window_center_and_width_linear():
    """C 2000, W 1001 (PS3.3 C.11.2.1.2.1): below 1499.5 -> 0, above 2499.5 -> 255;
    2000 -> ((2000 - 1999.5) / 1000 + 0.5) * 255 = 127.6 -> 128."""
    assert _row(make_dx(pixels=RAMP, window=(2000, 1001))) == [0, 0, 128, 255, 255]


def test_first_window_of_several_is_used():
    """Window Center 2000\\500 and Width 1001\\100: the first pair is the default."""
    ds = make_dx(pixels=RAMP)
    ds.WindowCenter, ds.WindowWidth = [2000, 500], [1001, 100]
    assert _row(ds) == [0, 0, 128, 255, 255]


def test_rescale_is_applied_before_the_window():
    """Intercept -1000: stored 2000 is 1000 in modality units, the window centre -> 128."""
    ds = make_dx(pixels=RAMP, window=(1000, 1001))
    ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = 1, -1000, "US"
    assert _row(ds) == [0, 0, 128, 255, 255]


def test_voi_lut_sequence_wins_over_the_window():
    """An 8-bit VOI LUT (identity on 0..255) is used even though a window is present."""
    pixels = np.array([[0, 50, 100, 255]] * 4, dtype=np.uint16)
    ds = make_dx(pixels=pixels, window=(4000, 10))
    item = Dataset()
    item.LUTDescriptor = [256, 0, 8]  # 256 entries, first maps 0, 8-bit output
    item.add_new(0x00283006, "US", list(range(256)))  # (0028,3006) LUT Data
    ds.VOILUTSequence = Sequence([item])
    assert _row(ds) == [0, 50, 100, 255]


def test_monochrome1_is_inverted():
    """MONOCHROME1: the lowest value (0) is white, the highest black."""
    assert _row(make_dx(pixels=RAMP, photometric="MONOCHROME1")) == [255, 193, 130, 68, 0]


def test_monochrome1_is_inverted_after_windowing():
    """Window C 2000 W 1001 gives 0, 0, 128, 255, 255; inverted: 255, 255, 127, 0, 0."""
    ds = make_dx(pixels=RAMP, photometric="MONOCHROME1", window=(2000, 1001))
    assert _row(ds) == [255, 255, 127, 0, 0]


def test_16_bit_pixels():
    """Full 16-bit range (BitsStored 16) maps to 0..255 without overflow."""
    pixels = np.array([[0, 32768, 65535]] * 3, dtype=np.uint16)
    assert _row(make_dx(pixels=pixels, bits_stored=16)) == [0, 128, 255]


def test_colour_secondary_capture_stays_rgb():
    """An RGB secondary capture renders in colour."""
    pixels = np.zeros((4, 4, 3), dtype=np.uint8)
    pixels[..., 0], pixels[..., 2] = 200, 30
    image = _render(make_dx(photometric="RGB", sop_class_uid=SECONDARY_CAPTURE, pixels=pixels))
    assert image.mode == "RGB"
    assert image.getpixel((1, 1)) == (200, 0, 30)


@pytest.mark.parametrize("transfer_syntax", [RLELossless, JPEG2000Lossless])
def test_compressed_images_render(transfer_syntax):
    """Encapsulated pixel data are decoded frame by frame."""
    assert _render(make_dx(transfer_syntax=transfer_syntax), max_size=32).size == (24, 32)


def test_large_images_are_stride_downsampled_then_resized():
    """A 2000 x 1500 16-bit image gives a 192 x 256 thumbnail whose bright deposit survives."""
    image = _render(make_dx(rows=2000, columns=1500, bits_stored=16), max_size=256)
    assert image.size == (192, 256)
    pixels = np.asarray(image)
    assert pixels.max() > 200  # the dense deposit near the middle fingertip
    assert pixels[-1, 0] < 60  # background in a lower corner stays dark


def test_max_size_must_be_positive():
    """A zero-pixel preview is a programming error."""
    with pytest.raises(ValueError):
        render_preview(make_dx(), max_size=0)
