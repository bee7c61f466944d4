"""Tables and plots of a JSCC SNR sweep: JSON rows → markdown table and PSNR/MS-SSIM-vs-SNR PNG."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ops(value: float | None) -> str:
    return "–" if value is None else f"{value / 1e6:.1f} M"


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """One line per (model, channel, SNR); separation rows show the fraction of images that fit."""
    head = ("| model | kind | variant | channel | SNR (dB) | PSNR left (dB) | PSNR right (dB) | MS-SSIM left"
            " | MS-SSIM left (dB) | ρ | firing rate | MACs / pair | SynOps / pair | CNN MACs / pair |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        if r["kind"] == "separation":
            note = "outage (SNR < design)" if r.get("outage") else f"{r['fit_fraction']:.0%} of images fit"
            lines.append(f"| {r['model']} | separation | – | {r['channel']} | {r['snr_db']:g} | {_fmt(r['psnr_left'])}"
                         f" | – | – | – | {r['rho_str']} | – | {note} | – | – |")
            continue
        lines.append(
            f"| {r['model']} | {r['kind']} | {r['variant']} | {r['channel']} | {r['snr_db']:g}"
            f" | {_fmt(r.get('psnr_left'))} | {_fmt(r.get('psnr_right'))} | {_fmt(r.get('msssim_left'), 4)}"
            f" | {_fmt(r.get('msssim_db_left'))} | {r['rho_str']} | {_fmt(r.get('firing_rate'), 3)}"
            f" | {_ops(r.get('macs'))} | {_ops(r.get('synops') if r['kind'] == 'snn' else None)}"
            f" | {_ops(r.get('cnn_macs'))} |")
    return "\n".join(lines) + "\n"


def plot_sweep(rows: Sequence[dict[str, Any]], path: str | Path, title: str | None = None) -> Path:
    """PSNR (left) and MS-SSIM (right panel) against SNR, one line per model × channel, the
    separation baseline dashed. Returns the PNG path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, (ax_psnr, ax_ms) = plt.subplots(1, 2, figsize=(12, 5.6))
    series: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        series.setdefault((r["model"], r["channel"]), []).append(r)
    colours = {m: plt.get_cmap("tab10")(i % 10) for i, m in enumerate(dict.fromkeys(r["model"] for r in rows))}
    for (model, channel), pts in series.items():
        pts = sorted(pts, key=lambda r: r["snr_db"])
        snr = [p["snr_db"] for p in pts]
        sep = pts[0]["kind"] == "separation"
        # one colour per model; AWGN solid, fading dotted; separation baselines dashed
        style = "--" if sep else ("-" if channel == "awgn" else ":")
        marker = None if sep else ("o" if pts[0]["kind"] == "snn" else "s")
        label = model if sep else f"{model} ({channel})"
        kw = dict(color=colours[model], marker=marker, ms=4, label=label)
        ax_psnr.plot(snr, [p["psnr_left"] for p in pts], style, **kw)
        if not sep:
            ax_ms.plot(snr, [p["msssim_left"] for p in pts], style, **kw)
    rho = next((r["rho_str"] for r in rows), "?")
    for ax, ylabel in ((ax_psnr, "PSNR, left view (dB)"), (ax_ms, "MS-SSIM, left view")):
        ax.set_xlabel("channel SNR (dB)")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    handles, labels = ax_psnr.get_legend_handles_labels()
    ncol = 3 if len(labels) > 8 else 2
    fig.legend(handles, labels, fontsize=7, loc="lower center", ncol=ncol, frameon=False)
    fig.suptitle(title or f"Stereo JSCC, ρ = {rho}")
    rows_of_legend = -(-len(labels) // ncol)
    fig.tight_layout(rect=(0, min(0.45, 0.035 * rows_of_legend + 0.02), 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
