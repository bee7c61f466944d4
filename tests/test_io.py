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
    uhsr_to_channels,
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
        "000000FE 00000100"  # x=127-127=0, y=0, bit0=0 -> ON, t=256
        "00007F01 00000200"  # x=127-0=127, y=127, bit0=1 -> OFF, t=512
        "00002A55 00000300"  # (0x55&0xFE)>>1=42 -> x=85, y=0x2A=42, OFF, t=768
    )
    path.write_bytes(b"#!AER-DAT2.0\r\n# hand made\r\n" + body)
    ev = read_aedat2(path)
    np.testing.assert_array_equal(ev["x"], [0, 127, 85])
    np.testing.assert_array_equal(ev["y"], [0, 127, 42])
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


def test_uhsr_to_channels_small():
    spk = np.arange(8 * 6 * 6).reshape(8, 6, 6) % 2
    out = uhsr_to_channels(spk, crop=(1, 5), group=4)
    assert out.shape == (2, 4, 4) and out.dtype == np.float32
    np.testing.assert_array_equal(out[0], spk[0:4, 1:5, 1:5].sum(axis=0))
    np.testing.assert_array_equal(out[1], spk[4:8, 1:5, 1:5].sum(axis=0))
    with pytest.raises(ValueError, match="groups of 3"):
        uhsr_to_channels(spk, crop=(1, 5), group=3)


def test_uhsr_to_channels_default_crop():
    spk = np.zeros((8, 250, 250), np.uint8)
    spk[:, 13:237, 13:237] = 1
    spk[:, 0, 0] = 1  # outside the crop: must not count
    out = uhsr_to_channels(spk)
    assert out.shape == (2, 224, 224)
    assert np.all(out == 4)


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
