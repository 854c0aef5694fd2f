"""Plain-text tables of comparison results (the one table `monarch-sci fno compare` prints)."""

from __future__ import annotations


def _fmt(value, spec: str = ".4f") -> str:
    if value is None:
        return "-"
    return format(value, spec)


def format_table(results: dict[str, dict], baseline: dict | None = None, max_step_rows: int = 60) -> str:
    """Summary (relative L2, parameters, time / epoch, peak memory) and relative L2 per rollout step."""
    names = list(results)
    first = names[0] if names else None
    header = [
        "model",
        "rel L2",
        f"/ {first}" if first else "ratio",
        "/ persist.",
        "params",
        "real params",
        "s / epoch",
        "peak MB",
        "epochs",
    ]
    rows = []
    for name, r in results.items():
        p = r.get("parameters", {})
        rows.append(
            [
                name,
                _fmt(r.get("rel_l2")),
                _fmt(r.get(f"ratio_to_{first}"), ".3f"),
                _fmt(r.get("ratio_to_persistence"), ".3f"),
                f"{p.get('torch', 0):,}",
                f"{p.get('real', 0):,}",
                _fmt(r.get("seconds_per_epoch"), ".2f"),
                _fmt(r.get("peak_memory_mb"), ".0f"),
                str(r.get("epochs", "-")),
            ]
        )
    if baseline:
        rows.append(["persistence", _fmt(baseline.get("rel_l2")), "-", "1.000", "0", "0", "-", "-", "-"])
    lines = [_grid(header, rows)]
    steps = {n: r["rel_l2_step"] for n, r in results.items() if isinstance(r.get("rel_l2_step"), list)}
    if steps:
        if baseline and isinstance(baseline.get("rel_l2_step"), list):
            steps["persistence"] = baseline["rel_l2_step"]
        T = max(len(v) for v in steps.values())
        picks = (
            list(range(T))
            if T <= max_step_rows
            else sorted({round(i * (T - 1) / (max_step_rows - 1)) for i in range(max_step_rows)})
        )
        step_rows = [[str(t + 1)] + [_fmt(v[t]) if t < len(v) else "-" for v in steps.values()] for t in picks]
        lines.append("relative L2 per rollout step")
        lines.append(_grid(["step", *steps], step_rows))
    kind = next((r.get("peak_memory_kind") for r in results.values() if r.get("peak_memory_kind")), None)
    if kind:
        lines.append(f"peak MB: {kind}; params: torch count (complex once), real params: complex as 2 reals")
    return "\n".join(lines)


def _grid(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    line = lambda cells: "  ".join(
        str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
    )  # noqa: E731
    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])
