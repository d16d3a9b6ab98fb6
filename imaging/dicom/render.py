"""PNG previews of radiographs for the browser: the grayscale pipeline of PS3.3 C.11, simplified.

Order (PS3.3 C.11 / PS3.4 N.2): Modality LUT or Rescale Slope/Intercept, then the VOI LUT
(a VOI LUT Sequence if present, else the first Window Center/Width, else the image's min/max),
then MONOCHROME1 inverted so bone is always white. Colour secondary captures stay RGB.
Large images are reduced with a stride before the LUTs and the Lanczos resize (RECIPES.md:
about 8x faster for a 256 px thumbnail of a 2000x2500 radiograph).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.pixels import apply_color_lut, apply_modality_lut, apply_voi_lut, get_decoder

# Keep at least this many source pixels per output pixel before Lanczos, so the stride does
# not alias the fine trabecular and calcific detail the preview is for.
_OVERSAMPLING = 2


def render_preview(ds: Dataset, *, max_size: int) -> bytes:
    """Return a PNG of the first frame whose longer side is at most `max_size` pixels."""
    if max_size < 1:
        raise ValueError("max_size must be at least 1 pixel.")
    pixels, photometric = _first_frame(ds)
    rows, columns = pixels.shape[:2]
    stride = max(1, max(rows, columns) // (max_size * _OVERSAMPLING))
    pixels = pixels[::stride, ::stride]

    if photometric == "PALETTE COLOR":
        rgb = apply_color_lut(pixels, ds)  # 8- or 16-bit entries, per the LUT descriptor
        image = Image.fromarray(_rgb_to_uint8(rgb, 8 * rgb.dtype.itemsize))
    elif pixels.ndim == 3:  # RGB, or YBR already converted to RGB by the decoder
        image = Image.fromarray(_rgb_to_uint8(pixels, int(ds.get("BitsStored", 8))))
    else:
        image = Image.fromarray(_grayscale(pixels, ds, photometric))

    scale = max_size / max(rows, columns)
    if scale < 1:
        size = (max(1, round(columns * scale)), max(1, round(rows * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _first_frame(ds: Dataset) -> tuple[np.ndarray, str]:
    """Decode only frame 0; YBR colour is converted to RGB by the decoder (as_rgb)."""
    decoder = get_decoder(ds.file_meta.TransferSyntaxUID)
    pixels, overrides = decoder.as_array(ds, index=0)
    photometric = overrides.get("photometric_interpretation", ds.PhotometricInterpretation)
    return pixels, str(photometric).strip()


def _grayscale(pixels: np.ndarray, ds: Dataset, photometric: str) -> np.ndarray:
    values = apply_modality_lut(pixels, ds)
    if "VOILUTSequence" in ds and len(ds.VOILUTSequence) > 0:
        # (0028,3010) VOI LUT Sequence: a table indexed by integer modality values, whose
        # output spans 0 .. 2**bits - 1, bits being the third value of (0028,3002) LUT
        # Descriptor (PS3.3 C.11.2.1.1).
        bits = int(ds.VOILUTSequence[0].LUTDescriptor[2])
        indices = values if values.dtype.kind in "iu" else np.rint(values).astype(np.int64)
        output = apply_voi_lut(indices, ds, index=0, prefer_lut=True).astype(np.float64)
        scaled = output * (255.0 / ((1 << bits) - 1))
    elif "WindowCenter" in ds and "WindowWidth" in ds:
        centre, width = _first(ds.WindowCenter), _first(ds.WindowWidth)
        scaled = _window(values.astype(np.float64), centre, width, ds)
    else:
        scaled = _stretch(values.astype(np.float64))
    out = np.clip(np.rint(scaled), 0, 255).astype(np.uint8)
    # MONOCHROME1: the minimum value is white (PS3.3 C.7.6.3.1.2)
    return np.ascontiguousarray(255 - out if photometric == "MONOCHROME1" else out)


def _window(values: np.ndarray, centre: float, width: float, ds: Dataset) -> np.ndarray:
    """(0028,1050) Window Center / (0028,1051) Width to 0..255 (PS3.3 C.11.2.1.2.1 and .3)."""
    function = str(ds.get("VOILUTFunction", "LINEAR")).strip().upper()  # (0028,1056)
    if function == "SIGMOID":
        return 255.0 / (1.0 + np.exp(-4.0 * (values - centre) / max(width, 1e-6)))
    if function == "LINEAR_EXACT":
        low, span = centre - width / 2, max(width, 1e-6)
    else:  # LINEAR: width >= 1, centred on centre - 0.5
        low, span = centre - 0.5 - (max(width, 1.0) - 1) / 2, max(width - 1, 1e-6)
    return (values - low) / span * 255.0


def _stretch(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    if high <= low:
        return np.zeros_like(values)
    return (values - low) * (255.0 / (high - low))


def _rgb_to_uint8(pixels: np.ndarray, bits: int) -> np.ndarray:
    if bits > 8:
        pixels = np.rint(pixels.astype(np.float64) * (255.0 / ((1 << bits) - 1)))
    return np.ascontiguousarray(pixels.astype(np.uint8))


def _first(value: float | str | MultiValue) -> float:
    """Window Center/Width may list several windows; the first is the default one."""
    return float(value[0]) if isinstance(value, MultiValue) else float(value)
