"""``atlas-coder info``: which model, codebook and data a result would come from."""

from __future__ import annotations

from pathlib import Path

from classifier import __version__


def info_lines(model: str | Path, data_dir: str | Path | None = None) -> list[str]:
    from classifier.io.codebook import load_codebook
    from classifier.model.bundle import load_bundle
    from classifier.errors import InputError
    from classifier.paths import DATA_DIR

    data_dir = Path(data_dir) if data_dir is not None else DATA_DIR
    lines = [f"atlas-coder {__version__}"]
    cb = load_codebook(data_dir / "annotations" / "codebook.yaml")
    lines.append(f"codebook: {cb.name} {cb.version} sha256 {cb.sha256[:16]} ({cb.path})")
    lines.append("  " + "; ".join(f"{g.key}: {len(g.labels)} labels" for g in cb.groups))
    try:
        b = load_bundle(model)
    except InputError as exc:
        lines.append(f"model: none ({exc})")
        return lines
    m = b.metadata
    lines.append(f"model: {b.path}")
    lines.append(f"  fingerprint {m['fingerprint'][:16]}, trained by atlas-coder {m['atlas_coder_version']}, seed {m['seed']}")
    lines.append(f"  embedding {m['embedding']['model']} {m['embedding']['version']} (dim {m['embedding']['dim']})")
    td = m["training_data"]
    lines.append(f"  trained on {td['n_units']} entries: {td['entries']['path']} sha256 {td['entries']['sha256'][:16]}, "
                 f"{td['labels']['path']} sha256 {td['labels']['sha256'][:16]}")
    same = "same as" if m["codebook"]["sha256"] == cb.sha256 else "DIFFERS from"
    lines.append(f"  codebook sha256 {m['codebook']['sha256'][:16]} ({same} the project codebook)")
    try:
        from classifier.config import load_config
        from classifier.io.corpus import load_corpus
        from classifier.model.train import fingerprint

        current = fingerprint(load_corpus(data_dir, cb), load_config())
        state = "up to date" if current == m["fingerprint"] else "stale: data, codebook or config changed; run `atlas-coder train`"
        lines.append(f"  status: {state}")
    except InputError as exc:
        lines.append(f"  status: cannot check against the corpus ({exc})")
    if not str(model).startswith(("models:/", "runs:/")):
        from classifier.tracking import champion_state, tracking_uri

        version, same = champion_state(Path(b.path))
        if version is None:
            lines.append(f"  registry: no atlas-coder@champion in {tracking_uri()}")
        else:
            lines.append(f"  registry: atlas-coder@champion is v{version}, "
                         + ("the same model as this bundle" if same else "a DIFFERENT model from this bundle"))
    return lines
