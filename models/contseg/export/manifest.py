"""The model manifest (models/registry/<id>/manifest.json): building it from a checkpoint, and validating a model
folder against models/registry/manifest.schema.json plus what a schema cannot say (file sizes and SHA-256,
internal references)."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from contseg.network import FEATURE_DIM, GENERATOR_HIDDEN, HEAD_CHANNELS, HEAD_PARAM_COUNT

from .heads import class_slug

MANIFEST_FORMAT = "contseg-manifest/1"
MANIFEST_FILE = "manifest.json"
REGISTRY_DIR = Path(__file__).resolve().parents[2] / "registry"
SCHEMA_PATH = REGISTRY_DIR / "manifest.schema.json"
CATALOGUE_PATH = Path(__file__).resolve().parents[1] / "catalogue.json"
CLIP_PROMPT = "A computerized tomography of a {}"


class ManifestError(ValueError):
    """A model folder whose manifest or files do not match (every problem is listed in the message)."""


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_entries(folder: Path, paths: list[str]) -> list[dict[str, Any]]:
    """[{path, bytes, sha256}] for ``paths`` relative to ``folder``."""
    return [{"path": p, "bytes": (folder / p).stat().st_size, "sha256": sha256_of(folder / p)} for p in paths]


def catalogue_classes(path: Path = CATALOGUE_PATH) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(classes by name, category codes by key) from models/contseg/catalogue.json."""
    data = json.loads(Path(path).read_text())
    return {c["name"]: c for c in data["classes"]}, data["categories"]


def manifest_class(name: str, step: int, embedding: str, file: str) -> dict[str, Any]:
    """One manifest class entry, copied from the catalogue (codes, colour, synonyms, group, partOf)."""
    classes, categories = catalogue_classes()
    if name not in classes:
        raise ManifestError(f"class {name!r} is not in the catalogue ({CATALOGUE_PATH}); known: {', '.join(classes)}")
    entry = classes[name]
    out: dict[str, Any] = {
        "name": name,
        "slug": class_slug(name),
        "label": entry["label"],
        "prompt": CLIP_PROMPT.format(entry["clip"]) if embedding == "clip" and entry.get("clip") else name,
        "synonyms": list(entry.get("synonyms", [])),
        "group": entry["group"],
        "category": dict(categories[entry["category"]]),
        "type": dict(entry["type"]),
        "colour": list(entry["colour"]),
        "step": step,
        "embedding": embedding,
        "file": file,
    }
    if entry.get("region"):
        out["region"] = dict(entry["region"])
    if entry.get("partOf"):
        out["partOf"] = entry["partOf"]
    return out


def heads_section() -> dict[str, int]:
    """The generator / dynamic-head sizes the heads graph and class files use."""
    return {"featureDim": FEATURE_DIM, "hiddenDim": GENERATOR_HIDDEN, "paramCount": HEAD_PARAM_COUNT, "channels": HEAD_CHANNELS}


def check_manifest(manifest: dict[str, Any]) -> None:
    """Schema and internal-reference check of a manifest dict; raises ManifestError listing every problem."""
    problems = [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in _validator().iter_errors(manifest)]
    if not problems:
        listed = {f["path"] for f in manifest["files"]}
        network = manifest["network"]
        used = [network["backbone"], network["heads"], *([network["backboneFp16"]] if "backboneFp16" in network else [])]
        used += [c["file"] for c in manifest["classes"]]
        problems += [f"{p} is used but not listed in files" for p in used if p not in listed]
        names = [c["name"] for c in manifest["classes"]]
        problems += [f"class {n!r} appears twice" for n in sorted({n for n in names if names.count(n) > 1})]
        problems += [
            f"class {c['name']!r} is partOf {c['partOf']!r}, which is not a class of the model"
            for c in manifest["classes"]
            if "partOf" in c and c["partOf"] not in names
        ]
        steps = {s["index"] for s in manifest["steps"]}
        problems += [f"class {c['name']!r} names step {c['step']}, which is not in steps" for c in manifest["classes"] if c["step"] not in steps]
        low, high = manifest["preprocess"]["window"]
        if not low < high:
            problems.append(f"preprocess/window {manifest['preprocess']['window']} must be increasing")
    if problems:
        raise ManifestError("invalid manifest: " + "; ".join(problems))


def validate_model_folder(folder: Path) -> dict[str, Any]:
    """Validate ``folder/manifest.json`` and every file it lists (size and SHA-256); returns the manifest.

    Raises ManifestError naming each problem (missing file, wrong size, wrong hash, schema violation).
    """
    folder = Path(folder)
    path = folder / MANIFEST_FILE
    if not path.is_file():
        raise ManifestError(f"{path} does not exist")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ManifestError(f"{path} is not JSON: {e}") from e
    check_manifest(manifest)
    problems = []
    for entry in manifest["files"]:
        file = folder / entry["path"]
        if not file.is_file():
            problems.append(f"{entry['path']}: missing")
        elif file.stat().st_size != entry["bytes"]:
            problems.append(f"{entry['path']}: {file.stat().st_size} bytes, manifest says {entry['bytes']}")
        elif sha256_of(file) != entry["sha256"]:
            problems.append(f"{entry['path']}: sha256 differs from the manifest")
    if problems:
        raise ManifestError(f"{folder}: " + "; ".join(problems))
    return manifest


def update_index(registry: Path, manifest: dict[str, Any], folder: Path) -> Path:
    """Add or replace the model's entry in ``registry/index.json`` ({models: [{id, version, path, ...}]})."""
    index_path = Path(registry) / "index.json"
    index = json.loads(index_path.read_text()) if index_path.is_file() else {"models": []}
    entry = {
        "id": manifest["id"],
        "version": manifest["version"],
        "path": f"{Path(folder).name}/{MANIFEST_FILE}",
        "description": manifest.get("description", ""),
        "classes": [c["name"] for c in manifest["classes"]],
    }
    index["models"] = [m for m in index["models"] if m["id"] != manifest["id"]] + [entry]
    index["models"].sort(key=lambda m: m["id"])
    tmp = index_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(index, indent=2) + "\n")
    tmp.replace(index_path)
    return index_path
