"""The ISMRMRD XML header of fastMRI files: what the loader needs from it, and a writer.

fastMRI reads four things (``mri_data.SliceDataset._retrieve_metadata``):
encoding/encodedSpace/matrixSize (x, y, z), encoding/reconSpace/matrixSize (x, y, z) and
encodingLimits/kspace_encoding_step_1 center and maximum, from which

    padding_left  = enc_y // 2 − center
    padding_right = padding_left + maximum + 1

are the k-space columns actually acquired (columns outside [padding_left, padding_right) are
zero-filled and masked out).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import NamedTuple

from ..errors import MonarchError

NAMESPACE = "http://www.ismrm.org/ISMRMRD"
_NS = {"i": NAMESPACE}


class EncodingInfo(NamedTuple):
    """What a fastMRI loader takes from the header (sizes as (x, y, z), x = readout rows)."""

    encoding_size: tuple[int, int, int]
    recon_size: tuple[int, int, int]
    center: int  # kspace_encoding_step_1 center
    maximum: int  # kspace_encoding_step_1 maximum
    padding_left: int
    padding_right: int


def _find(root: ET.Element, path: list[str], source: str) -> int:
    query = "." + "".join(f"//i:{p}" for p in path)
    node = root.find(query, _NS)
    where = "/".join(path)
    if node is None or node.text is None:
        raise MonarchError(f"{source}: the ismrmrd header has no element {where} (namespace {NAMESPACE})")
    try:
        return int(node.text.strip())
    except ValueError:
        raise MonarchError(f"{source}: ismrmrd header element {where} should be an integer, got {node.text!r}") from None


def parse_header(xml: str | bytes, source: str = "ismrmrd_header") -> EncodingInfo:
    """Parse an ISMRMRD header string into :class:`EncodingInfo`; ``source`` names the file in errors."""
    if isinstance(xml, bytes):
        xml = xml.decode("utf-8", errors="replace")
    if not isinstance(xml, str) or not xml.strip():
        raise MonarchError(f"{source}: the ismrmrd_header is empty; expected an ISMRMRD XML string")
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as error:
        raise MonarchError(f"{source}: the ismrmrd_header is not valid XML ({error})") from None
    enc = ["encoding", "encodedSpace", "matrixSize"]
    rec = ["encoding", "reconSpace", "matrixSize"]
    lims = ["encoding", "encodingLimits", "kspace_encoding_step_1"]
    enc_size = tuple(_find(root, enc + [a], source) for a in "xyz")
    recon_size = tuple(_find(root, rec + [a], source) for a in "xyz")
    center = _find(root, lims + ["center"], source)
    maximum = _find(root, lims + ["maximum"], source)
    padding_left = enc_size[1] // 2 - center
    padding_right = padding_left + maximum + 1
    return EncodingInfo(enc_size, recon_size, center, maximum, padding_left, padding_right)


def build_header(
    encoding_size: tuple[int, int],
    recon_size: tuple[int, int],
    num_coils: int,
    fov_mm: tuple[float, float, float] = (280.0, 140.0, 4.5),
    field_strength_t: float = 3.0,
    acquired: tuple[int, int] | None = None,
) -> str:
    """A minimal valid ISMRMRD header for a Cartesian 2-D acquisition.

    encoding_size (rows, cols) of the stored k-space; recon_size (rows, cols) of the target;
    acquired: the [first, last + 1) columns acquired (default all), written as
    kspace_encoding_step_1 center and maximum so that :func:`parse_header` returns them as
    padding. The recon FOV is scaled from ``fov_mm`` by the size ratio.
    """
    ex, ey = encoding_size
    rx, ry = recon_size
    first, stop = acquired if acquired is not None else (0, ey)
    center = ey // 2 - first
    maximum = stop - first - 1
    larmor = int(round(42.577478518e6 * field_strength_t))
    fx, fy, fz = fov_mm
    return f"""<?xml version="1.0" encoding="utf-8"?>
<ismrmrdHeader xmlns="{NAMESPACE}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <acquisitionSystemInformation>
    <systemVendor>monarch-sci</systemVendor>
    <systemModel>simulation</systemModel>
    <systemFieldStrength_T>{field_strength_t}</systemFieldStrength_T>
    <receiverChannels>{num_coils}</receiverChannels>
  </acquisitionSystemInformation>
  <experimentalConditions>
    <H1resonanceFrequency_Hz>{larmor}</H1resonanceFrequency_Hz>
  </experimentalConditions>
  <encoding>
    <encodedSpace>
      <matrixSize><x>{ex}</x><y>{ey}</y><z>1</z></matrixSize>
      <fieldOfView_mm><x>{fx}</x><y>{fy}</y><z>{fz}</z></fieldOfView_mm>
    </encodedSpace>
    <reconSpace>
      <matrixSize><x>{rx}</x><y>{ry}</y><z>1</z></matrixSize>
      <fieldOfView_mm><x>{fx * rx / ex:g}</x><y>{fy * ry / ey:g}</y><z>{fz}</z></fieldOfView_mm>
    </reconSpace>
    <trajectory>cartesian</trajectory>
    <encodingLimits>
      <kspace_encoding_step_1><minimum>0</minimum><maximum>{maximum}</maximum><center>{center}</center></kspace_encoding_step_1>
      <kspace_encoding_step_2><minimum>0</minimum><maximum>0</maximum><center>0</center></kspace_encoding_step_2>
      <slice><minimum>0</minimum><maximum>0</maximum><center>0</center></slice>
    </encodingLimits>
  </encoding>
</ismrmrdHeader>
"""


__all__ = ["NAMESPACE", "EncodingInfo", "build_header", "parse_header"]
