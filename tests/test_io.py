"""Tests for spikevision.io: real files, hand-built bytes, round trips, corrupt inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spikevision.errors import EventFormatError
from spikevision.io import (
    EVENT_DTYPE,
    make_events,
    read_aedat2,
    read_aedat2_header,
    read_atis_bin,
    read_events,
    read_spike_dat,
    read_uhsr_npz,
    write_aedat2,
    write_atis_bin,
    write_events,
    write_spike_dat,
    write_uhsr_npz,
)

DATA = Path(__file__).parent / "data"
NMNIST = DATA / "nmnist_sample.bin"
JAER_HEADER = DATA / "aedat2_header_davis346.aedat"


def _assert_events_equal(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == EVENT_DTYPE and b.dtype == EVENT_DTYPE
    for field in ("x", "y", "t", "p"):
        np.testing.assert_array_equal(a[field], b[field], err_msg=field)


def _random_events(rng, n, xy_max, t_max):
    x = rng.integers(0, xy_max + 1, n)
    y = rng.integers(0, xy_max + 1, n)
    t = np.sort(rng.integers(0, t_max, n))
    p = rng.integers(0, 2, n)
    return make_events(x, y, t, p)


# ----------------------------------------------------------------------------- ATIS .bin


def test_real_nmnist_statistics():
    ev = read_atis_bin(NMNIST)
    assert ev.dtype == EVENT_DTYPE
    assert len(ev) == 4325
    assert ev["t"].min() == 654 and ev["t"].max() == 311175
    assert (ev["p"] == 0).sum() == 2180 and (ev["p"] == 1).sum() == 2145
    assert ev["x"].max() <= 33 and ev["y"].max() <= 33


def test_real_nmnist_matches_tonic():
    tonic_io = pytest.importorskip("tonic.io")
    ours = read_atis_bin(NMNIST)
    theirs = tonic_io.read_mnist_file(str(NMNIST), dtype=tonic_io.events_struct)
    assert len(ours) == len(theirs)
    for field in ("x", "y", "t", "p"):
        np.testing.assert_array_equal(ours[field].astype(np.int64), theirs[field].astype(np.int64))


def test_atis_hand_built_bytes(tmp_path):
    path = tmp_path / "two.bin"
    # x=5, y=7, p=ON, t=0x012345 ; x=255, y=0, p=OFF, t=2**23-1
    path.write_bytes(bytes([5, 7, 0x81, 0x23, 0x45, 255, 0, 0x7F, 0xFF, 0xFF]))
    ev = read_atis_bin(path)
    np.testing.assert_array_equal(ev["x"], [5, 255])
    np.testing.assert_array_equal(ev["y"], [7, 0])
    np.testing.assert_array_equal(ev["t"], [0x012345, 2**23 - 1])
    np.testing.assert_array_equal(ev["p"], [1, 0])
    write_atis_bin(tmp_path / "again.bin", ev)
    assert (tmp_path / "again.bin").read_bytes() == path.read_bytes()


def test_atis_overflow_marker_like_tonic(tmp_path):
    path = tmp_path / "overflow.bin"
    events = [
        [1, 2, 0x00, 0x00, 100],  # t=100
        [0, 240, 0x00, 0x00, 0],  # overflow marker: +2**13 from here on, dropped
        [3, 4, 0x80, 0x00, 50],  # ON, t=50 -> 50 + 8192
        [0, 240, 0x00, 0x00, 0],
        [6, 7, 0x00, 0x01, 0],  # t=256 -> 256 + 2*8192
    ]
    path.write_bytes(bytes(np.array(events, dtype=np.uint8).ravel()))
    ev = read_atis_bin(path)
    np.testing.assert_array_equal(ev["x"], [1, 3, 6])
    np.testing.assert_array_equal(ev["t"], [100, 50 + 8192, 256 + 2 * 8192])
    np.testing.assert_array_equal(ev["p"], [0, 1, 0])
    tonic_io = pytest.importorskip("tonic.io")
    theirs = tonic_io.read_mnist_file(str(path), dtype=tonic_io.events_struct)
    np.testing.assert_array_equal(ev["t"], theirs["t"])
    np.testing.assert_array_equal(ev["y"], theirs["y"])


def test_atis_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    ev = _random_events(rng, 500, 239, 2**23)
    write_atis_bin(tmp_path / "r.bin", ev)
    assert (tmp_path / "r.bin").stat().st_size == 500 * 5
    _assert_events_equal(read_atis_bin(tmp_path / "r.bin"), ev)


def test_atis_empty_file_reads_as_no_events(tmp_path):
    (tmp_path / "e.bin").write_bytes(b"")
    ev = read_atis_bin(tmp_path / "e.bin")
    assert ev.dtype == EVENT_DTYPE and len(ev) == 0


def test_atis_truncated(tmp_path):
    path = tmp_path / "trunc.bin"
    path.write_bytes(bytes(13))
    with pytest.raises(EventFormatError, match="truncated") as info:
        read_atis_bin(path)
    assert "13 bytes" in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize(
    ("x", "y", "t", "match"),
    [(256, 0, 0, "one byte"), (0, 240, 0, "overflow marker"), (0, 0, 2**23, "23-bit")],
)
def test_atis_writer_rejects_unrepresentable(tmp_path, x, y, t, match):
    with pytest.raises(EventFormatError, match=match):
        write_atis_bin(tmp_path / "bad.bin", make_events([x], [y], [t], [1]))


# ----------------------------------------------------------------------------- AER-DAT 2.0


def test_real_jaer_header_parses_to_no_events():
    header = read_aedat2_header(JAER_HEADER)
    assert header[0] == "#!AER-DAT2.0"
    assert len(header) == 12
    assert "# AEChip: eu.seebetter.ini.chips.davis.Davis346red" in header
    assert all(line.startswith("#") and "\n" not in line for line in header)
    ev = read_aedat2(JAER_HEADER)
    assert ev.dtype == EVENT_DTYPE and len(ev) == 0


def test_aedat_hand_built_bytes(tmp_path):
    path = tmp_path / "hand.aedat"
    body = bytes.fromhex(
        "000000FE 00000100"  # x=127-127=0, dat2mat y=0 (bottom) -> row 127, bit0=0 -> ON, t=256
        "00007F01 00000200"  # x=127-0=127, dat2mat y=127 (top) -> row 0, bit0=1 -> OFF, t=512
        "00002A55 00000300"  # (0x55&0xFE)>>1=42 -> x=85, dat2mat y=0x2A=42 -> row 85, OFF, t=768
    )
    path.write_bytes(b"#!AER-DAT2.0\r\n# hand made\r\n" + body)
    ev = read_aedat2(path)
    np.testing.assert_array_equal(ev["x"], [0, 127, 85])
    np.testing.assert_array_equal(ev["y"], [127, 0, 85])  # top-down rows, like the other readers
    np.testing.assert_array_equal(ev["p"], [1, 0, 0])
    np.testing.assert_array_equal(ev["t"], [256, 512, 768])
    assert read_aedat2_header(path) == ["#!AER-DAT2.0", "# hand made"]
    out = tmp_path / "out.aedat"
    write_aedat2(out, ev, header_lines=["#!AER-DAT2.0", "# hand made"])
    assert out.read_bytes() == path.read_bytes()


def test_aedat_timestamp_wrap_is_unwrapped(tmp_path):
    path = tmp_path / "wrap.aedat"
    body = bytes.fromhex("000000FE FFFFFF00 000000FE 00000010 000000FE 00000020")
    path.write_bytes(b"#!AER-DAT2.0\r\n" + body)
    np.testing.assert_array_equal(read_aedat2(path)["t"], [2**32 - 256, 2**32 + 16, 2**32 + 32])


def test_aedat_round_trip_with_wrap(tmp_path):
    rng = np.random.default_rng(1)
    ev = _random_events(rng, 300, 127, 2**10)
    ev["t"] = np.cumsum(rng.integers(0, 2**27, 300))  # spans several 2**32 wraps
    assert ev["t"].max() > 2**33
    write_aedat2(tmp_path / "r.aedat", ev)
    _assert_events_equal(read_aedat2(tmp_path / "r.aedat"), ev)


def test_aedat_round_trip_keeps_real_header(tmp_path):
    header = read_aedat2_header(JAER_HEADER)
    ev = _random_events(np.random.default_rng(2), 50, 127, 10**6)
    write_aedat2(tmp_path / "h.aedat", ev, header_lines=header)
    assert read_aedat2_header(tmp_path / "h.aedat") == header
    _assert_events_equal(read_aedat2(tmp_path / "h.aedat"), ev)


def test_aedat_broken_body(tmp_path):
    path = tmp_path / "broken.aedat"
    path.write_bytes(b"#!AER-DAT2.0\r\n" + bytes(12))
    with pytest.raises(EventFormatError, match="body truncated/corrupt: 12 bytes"):
        read_aedat2(path)


def test_not_an_aedat_file(tmp_path):
    path = tmp_path / "fake.aedat"
    path.write_bytes(b"hello world, I am a text file\n")
    with pytest.raises(EventFormatError, match="not an AER-DAT file"):
        read_aedat2(path)
    path.write_bytes(b"#!AER-DAT3.1\r\n")
    with pytest.raises(EventFormatError, match="only AER-DAT 2.x"):
        read_aedat2(path)


def test_aedat_writer_rejects_out_of_range(tmp_path):
    with pytest.raises(EventFormatError, match="0..127"):
        write_aedat2(tmp_path / "bad.aedat", make_events([128], [0], [0], [0]))


# ----------------------------------------------------------------------------- spike .dat


def test_spike_dat_hand_built_bytes(tmp_path):
    path = tmp_path / "hand.dat"
    # 2x8 frame = 2 bytes. File row 0 is display row 1 (rows stored upside down).
    # byte 0 bit 7 -> file (0, 7) -> display (1, 7); byte 1 bit 0 -> file (1, 0) -> display (0, 0)
    path.write_bytes(b"\x80\x01" + b"\x00\x02")
    spikes = read_spike_dat(path, height=2, width=8)
    assert spikes.shape == (2, 2, 8) and spikes.dtype == np.uint8
    assert spikes.flags.c_contiguous
    expected = np.zeros((2, 2, 8), np.uint8)
    expected[0, 1, 7] = 1
    expected[0, 0, 0] = 1
    expected[1, 0, 1] = 1
    np.testing.assert_array_equal(spikes, expected)
    write_spike_dat(tmp_path / "again.dat", expected)
    assert (tmp_path / "again.dat").read_bytes() == path.read_bytes()


def test_spike_dat_round_trip_and_window(tmp_path):
    rng = np.random.default_rng(3)
    spikes = (rng.random((6, 250, 400)) < 0.1).astype(np.uint8)
    path = tmp_path / "r.dat"
    write_spike_dat(path, spikes)
    assert path.stat().st_size == 6 * 12500
    np.testing.assert_array_equal(read_spike_dat(path), spikes)
    np.testing.assert_array_equal(read_spike_dat(path, start=2, count=3), spikes[2:5])
    np.testing.assert_array_equal(read_spike_dat(path, start=4), spikes[4:])
    with pytest.raises(ValueError, match="6 frames"):
        read_spike_dat(path, start=5, count=2)


def test_spike_dat_size_not_whole_frames(tmp_path):
    path = tmp_path / "odd.dat"
    path.write_bytes(bytes(12500 + 7))
    with pytest.raises(EventFormatError, match="--height/--width") as info:
        read_spike_dat(path)
    msg = str(info.value)
    assert "12507 bytes" in msg and "12500 bytes each" in msg and "250×400" in msg


def test_spike_dat_bad_geometry():
    with pytest.raises(ValueError, match="multiple of 8"):
        read_spike_dat("unused.dat", height=3, width=5)


# ----------------------------------------------------------------------------- UHSR .npz


def test_uhsr_round_trip(tmp_path):
    spk = (np.random.default_rng(4).random((8, 20, 20)) < 0.3).astype(np.uint8)
    write_uhsr_npz(tmp_path / "s.npz", spk, 7)
    got, label = read_uhsr_npz(tmp_path / "s.npz")
    assert label == 7 and isinstance(label, int)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, spk)


def test_uhsr_missing_keys(tmp_path):
    np.savez(tmp_path / "bad.npz", frames=np.zeros((2, 2, 2)), y=np.int64(1))
    with pytest.raises(EventFormatError, match=r"missing key\(s\) \['label', 'spk'\]") as info:
        read_uhsr_npz(tmp_path / "bad.npz")
    assert "['frames', 'y']" in str(info.value)


# ----------------------------------------------------------------------------- dispatch


@pytest.mark.parametrize("suffix", [".bin", ".aedat", ".npy", ".npz", ".BIN"])
def test_read_write_events_dispatch(tmp_path, suffix):
    ev = _random_events(np.random.default_rng(5), 100, 127, 2**20)
    path = tmp_path / f"ev{suffix}"
    write_events(path, ev)
    _assert_events_equal(read_events(path), ev)


def test_read_events_picks_format_by_suffix():
    _assert_events_equal(read_events(NMNIST), read_atis_bin(NMNIST))
    assert len(read_events(JAER_HEADER)) == 0


def test_read_events_errors(tmp_path):
    with pytest.raises(EventFormatError, match=r"unknown event file suffix '\.txt'.*\.aedat"):
        read_events(tmp_path / "x.txt")
    with pytest.raises(EventFormatError, match="read_spike_dat"):
        read_events(tmp_path / "x.dat")
    with pytest.raises(FileNotFoundError, match="missing.bin"):
        read_events(tmp_path / "missing.bin")
    (tmp_path / "fake.aedat").write_bytes(b"\x00" * 16)
    with pytest.raises(EventFormatError, match="not an AER-DAT file"):
        read_events(tmp_path / "fake.aedat")
    write_uhsr_npz(tmp_path / "sample.npz", np.zeros((4, 8, 8), np.uint8), 1)
    with pytest.raises(EventFormatError, match="read_uhsr_npz"):
        read_events(tmp_path / "sample.npz")
    np.save(tmp_path / "plain.npy", np.zeros(3))
    with pytest.raises(EventFormatError, match="fields"):
        read_events(tmp_path / "plain.npy")


# ----------------------------------------------------------------------------- bad inputs (issue 10)

ALEX_PREFIX = DATA / "dvs128_alex_walking_prefix.aedat"  # header + first 6000 events of
# ../shared/data/real/dvs128_alex_walking_again.aedat (a person walking away from a DVS128)
ALEX_FULL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "dvs128_alex_walking_again.aedat"


def _one_line_error(call, *match: str) -> str:
    with pytest.raises(EventFormatError) as info:
        call()
    msg = str(info.value)
    assert "\n" not in msg, msg
    for m in match:
        assert m in msg, msg
    return msg


def _npy_header(shape: tuple[int, ...]) -> bytes:
    header = (f"{{'descr': [('x', '<u2'), ('y', '<u2'), ('t', '<i8'), ('p', '|i1')], "
              f"'fortran_order': False, 'shape': {shape}, }}")
    header += " " * (118 - len(header)) + "\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode()


@pytest.mark.parametrize("suffix", [".npy", ".npz"])
def test_truncated_empty_and_random_event_files_are_refused(tmp_path, suffix):
    import os

    good = tmp_path / f"good{suffix}"
    write_events(good, _random_events(np.random.default_rng(7), 50, 33, 10**5))
    data = good.read_bytes()
    cases = {"truncated": data[: len(data) - 17], "empty": b"", "random": os.urandom(400)}
    for name, content in cases.items():
        path = tmp_path / f"{name}{suffix}"
        path.write_bytes(content)
        _one_line_error(lambda p=path: read_events(p), str(path))


def test_uhsr_truncated_empty_and_random_files_are_refused(tmp_path):
    import os

    write_uhsr_npz(tmp_path / "good.npz", np.zeros((8, 16, 16), np.uint8), 3)
    data = (tmp_path / "good.npz").read_bytes()
    for name, content in {"truncated": data[: len(data) // 2], "empty": b"", "random": os.urandom(500)}.items():
        path = tmp_path / f"{name}.npz"
        path.write_bytes(content)
        _one_line_error(lambda p=path: read_uhsr_npz(p), str(path), "re-copy")


def test_npy_header_claiming_more_events_than_the_file_holds_allocates_nothing(tmp_path):
    path = tmp_path / "huge.npy"
    path.write_bytes(_npy_header((10**11,)) + bytes(26))  # one event's bytes; the header claims 10**11
    _one_line_error(lambda: read_events(path), str(path), "(100000000000,)", "only 26 bytes")
    arch = tmp_path / "huge.npz"  # the same header inside an archive member
    import zipfile

    with zipfile.ZipFile(arch, "w") as z:
        z.writestr("events.npy", _npy_header((10**11,)) + bytes(26))
    _one_line_error(lambda: read_events(arch), str(arch), "events", "only 26 bytes")


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"x": [-1, 2]}, "'x' outside 0..65535"),  # would wrap to 65535 as uint16
        ({"y": [0, 70000]}, "'y' outside"),
        ({"x": [1.5, 2.0]}, "'x' has dtype float64"),
        ({"t": [np.nan, 1.0]}, "1 of them NaN"),
        ({"t": [0.25, 0.5]}, "integer microseconds"),
        ({"p": [0, 2]}, "not 0/1 or -1/+1"),
        ({"x": ["a", "b"]}, "non-numeric"),
        ({"x": [1, 2, 3]}, "lengths"),
    ],
)
def test_event_fields_with_wrong_values_or_dtypes_are_refused(tmp_path, fields, match):
    arrays = {"x": [1, 2], "y": [3, 4], "t": [10, 20], "p": [0, 1], **fields}
    np.savez(tmp_path / "ev.npz", **{k: np.asarray(v) for k, v in arrays.items()})
    _one_line_error(lambda: read_events(tmp_path / "ev.npz"), str(tmp_path / "ev.npz"), match)
    if len(arrays["x"]) == 2 and np.asarray(arrays["x"]).dtype.kind != "U":  # as a structured .npy too
        dtype = [(k, np.asarray(v).dtype) for k, v in arrays.items()]
        rec = np.zeros(2, dtype=dtype)
        for k, v in arrays.items():
            rec[k] = v
        np.save(tmp_path / "ev.npy", rec)
        _one_line_error(lambda: read_events(tmp_path / "ev.npy"), match)


def test_object_npy_is_refused_without_unpickling(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    _one_line_error(lambda: read_events(tmp_path / "obj.npy"), "Python objects", "refused")


@pytest.mark.parametrize(
    ("spk", "label", "match"),
    [
        (np.full((2, 4, 4), -1, np.int64), 1, "other than 0 and 1"),  # would wrap to 255
        (np.full((2, 4, 4), 0.5), 1, "other than 0 and 1"),
        (np.zeros((2, 4, 4), np.uint8), np.array("cat"), "integer class index"),
        (np.zeros((2, 4, 4), np.uint8), np.float64(1.5), "integer class index"),
    ],
)
def test_uhsr_bad_values_are_refused(tmp_path, spk, label, match):
    np.savez(tmp_path / "u.npz", spk=spk, label=label)
    _one_line_error(lambda: read_uhsr_npz(tmp_path / "u.npz"), str(tmp_path / "u.npz"), match)


# ----------------------------------------------------------------------------- AER-DAT orientation, chips


def _row_centroid(ev: np.ndarray, height: int = 128) -> float:
    rows = np.bincount(ev["y"].astype(np.int64), minlength=height)
    return float((rows * np.arange(height)).sum() / rows.sum())


def test_real_dvs128_recording_is_upright():
    """A person walking away: head and torso give most events, so activity sits in the upper rows
    (row = y, top-down). Decoded with dat2mat's upward y the centroid would be in the lower half."""
    from spikevision.io import read_aedat2_chip

    chip = read_aedat2_chip(ALEX_PREFIX)
    assert (chip.name, chip.height, chip.width) == ("DVS128", 128, 128)
    ev = read_events(ALEX_PREFIX)
    assert len(ev) == 6000
    assert _row_centroid(ev) < 56  # upside down: > 72
    first = ev[:3000]  # the person is close and fills the height: head at the top
    top = np.nonzero(np.bincount(first["y"], minlength=128) > 20)[0]
    head_cols = first["x"][first["y"] < top[0] + 8]
    feet_cols = first["x"][first["y"] > 127 - 8]
    assert head_cols.std() < feet_cols.std()  # one compact head on top, two feet apart below
    if ALEX_FULL.is_file():
        full = read_events(ALEX_FULL)
        assert len(full) == 19182 and _row_centroid(full) < 60


def test_synthetic_aedat_with_known_top(tmp_path):
    """Events at jAER's top row (dat2mat y = 127) and one column; they must land in row 0."""
    x_dat2mat, y_up = 117, 127  # as dat2mat decodes them (x = 127 - raw x field, y up)
    a = ((127 - x_dat2mat) << 1) | (y_up << 8)  # bit 0 = 0: ON
    body = np.array([[a, 5], [a, 6]], dtype=">u4").tobytes()
    path = tmp_path / "top.aedat"
    path.write_bytes(b"#!AER-DAT2.0\r\n# AEChip: ch.unizh.ini.jaer.chip.retina.DVS128\r\n" + body)
    ev = read_aedat2(path)
    np.testing.assert_array_equal(ev["y"], [0, 0])
    np.testing.assert_array_equal(ev["x"], [x_dat2mat] * 2)  # columns are not mirrored
    from spikevision.events import to_frames

    frame = to_frames(ev, 1, 128, 128)[0].sum(0)
    assert frame[0].sum() == 2 and frame[1:].sum() == 0  # the top row of the picture
    write_aedat2(tmp_path / "again.aedat", ev, header_lines=read_aedat2_header(path))
    assert (tmp_path / "again.aedat").read_bytes() == path.read_bytes()


DAVIS346_HEADER = ["#!AER-DAT2.0", "# AEChip: eu.seebetter.ini.chips.davis.Davis346red"]


def test_davis346_addresses_are_decoded_per_jaer(tmp_path):
    # jAER DavisChip: y_up bits 22-30, x bits 12-21 (flipped: x = 345 - raw), polarity bit 11,
    # bit 31 = APS/IMU sample, bits 10-11 == 0b01 = external input event
    words = [
        (0 << 22) | (0 << 12) | (1 << 11),  # raw (0, 0) ON -> x 345, row 259
        (259 << 22) | (345 << 12),  # raw (345, 259) OFF -> x 0, row 0
        (100 << 22) | (200 << 12) | (1 << 11),  # -> x 145, row 159, ON
        0x80000000 | (5 << 22) | (5 << 12) | 0x123,  # an APS sample: skipped
        (1 << 10),  # an external-input event: skipped
    ]
    body = np.array([[w, 10 * i] for i, w in enumerate(words)], dtype=">u4").tobytes()
    path = tmp_path / "davis.aedat"
    path.write_bytes("".join(ln + "\r\n" for ln in DAVIS346_HEADER).encode() + body)
    ev = read_aedat2(path)
    np.testing.assert_array_equal(ev["x"], [345, 0, 145])
    np.testing.assert_array_equal(ev["y"], [259, 0, 159])
    np.testing.assert_array_equal(ev["p"], [1, 0, 1])
    np.testing.assert_array_equal(ev["t"], [0, 10, 20])
    from spikevision.io import read_aedat2_chip

    assert (read_aedat2_chip(path).height, read_aedat2_chip(path).width) == (260, 346)


def test_davis_round_trip_and_chip_bounds(tmp_path):
    rng = np.random.default_rng(8)
    n = 400
    ev = make_events(rng.integers(0, 346, n), rng.integers(0, 260, n), np.sort(rng.integers(0, 10**6, n)),
                     rng.integers(0, 2, n))
    write_aedat2(tmp_path / "d.aedat", ev, header_lines=DAVIS346_HEADER)
    _assert_events_equal(read_aedat2(tmp_path / "d.aedat"), ev)  # bodies starting with '#' too
    with pytest.raises(EventFormatError, match="DAVIS240 addresses need x in 0..239"):
        write_aedat2(tmp_path / "e.aedat", ev,
                     header_lines=["#!AER-DAT2.0", "# AEChip: eu.seebetter.ini.chips.davis.DAVIS240C"])
    with pytest.raises(EventFormatError, match="DVS128 addresses need x in 0..127"):
        write_aedat2(tmp_path / "f.aedat", ev)


def test_aedat_unknown_chip_is_refused_by_name(tmp_path):
    path = tmp_path / "cochlea.aedat"
    path.write_bytes(b"#!AER-DAT2.0\r\n# AEChip: ch.unizh.ini.jaer.chip.cochlea.CochleaAMS1c\r\n" + bytes(8))
    _one_line_error(lambda: read_events(path), str(path), "CochleaAMS1c", "supported: DVS128")


def test_davis_addresses_beyond_the_named_chip_are_refused(tmp_path):
    path = tmp_path / "wrong_chip.aedat"
    body = np.array([[(200 << 22) | (300 << 12), 0]], dtype=">u4").tobytes()  # fits 346×260, not 240×180
    path.write_bytes(b"#!AER-DAT2.0\r\n# AEChip: eu.seebetter.ini.chips.davis.DAVIS240C\r\n" + body)
    _one_line_error(lambda: read_events(path), str(path), "240×180", "does not match")
