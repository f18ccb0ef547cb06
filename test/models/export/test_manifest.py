"""Manifests: every released model in models/registry validates against manifest.schema.json and every listed
file has its recorded size and SHA-256; the export writes such a folder, registers it in index.json, refuses to
overwrite a release, and validation names each kind of damage."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from contseg.export.__main__ import main as export_main
from contseg.export.manifest import REGISTRY_DIR, SCHEMA_PATH, ManifestError, check_manifest, validate_model_folder


def registry_folders() -> list[Path]:
    index = json.loads((REGISTRY_DIR / "index.json").read_text()) if (REGISTRY_DIR / "index.json").is_file() else {"models": []}
    return [REGISTRY_DIR / Path(m["path"]).parent for m in index["models"]]


def test_schema_is_valid_draft_2020_12() -> None:
    """manifest.schema.json is itself a valid JSON Schema (draft 2020-12)."""
    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_registry_index_matches_model_folders() -> None:
    """index.json lists exactly the model folders of models/registry, each with its manifest's id and version."""
    folders = sorted(p.parent for p in REGISTRY_DIR.glob("*/manifest.json"))
    assert sorted(registry_folders()) == folders
    for folder in folders:
        manifest = json.loads((folder / "manifest.json").read_text())
        entry = next(m for m in json.loads((REGISTRY_DIR / "index.json").read_text())["models"] if m["id"] == manifest["id"])
        assert entry["version"] == manifest["version"]


@pytest.mark.parametrize("folder", registry_folders(), ids=lambda p: p.name)
def test_registry_model_validates_with_matching_files(folder: Path) -> None:
    """A released model: schema-valid manifest, every file present with the recorded size and SHA-256, no stray files."""
    manifest = validate_model_folder(folder)
    on_disk = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()} - {"manifest.json"}
    assert on_disk == {f["path"] for f in manifest["files"]}


def test_exported_folder_validates_and_is_registered(exported) -> None:  # noqa: ANN001
    """The CLI's folder validates; its index.json entry, steps, classes (catalogue codes) and files are right."""
    manifest = validate_model_folder(exported.folder)
    assert manifest["id"] == "test-model" and manifest["version"] == "0.1.0"
    assert [s["classes"] for s in manifest["steps"]] == [["liver", "spleen"], ["liver tumour"]]
    tumour = next(c for c in manifest["classes"] if c["name"] == "liver tumour")
    assert tumour["step"] == 2 and tumour["partOf"] == "liver" and tumour["file"] == "classes/liver-tumour.f32"
    assert tumour["category"]["value"] == "49755003" and tumour["region"]["value"] == "10200004"
    assert manifest["network"]["backboneFp16"] == "backbone.fp16.onnx"
    assert manifest["export"]["parity"]["fp32"]["relativeDiff"] < 1e-4
    index = json.loads((exported.folder.parent / "index.json").read_text())
    assert index["models"] == [
        {"id": "test-model", "version": "0.1.0", "path": "test-model/manifest.json", "description": "random test model", "classes": ["liver", "spleen", "liver tumour"]}
    ]


def test_export_refuses_to_overwrite_a_release(exported, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: ANN001
    """Exporting onto an existing folder fails with a clear message and leaves the folder as it was."""
    before = (exported.folder / "manifest.json").read_text()
    code = export_main(["--checkpoint", str(exported.checkpoint), "--out", str(exported.folder), "--version", "0.2.0"])
    assert code == 1
    assert "is immutable" in capsys.readouterr().err
    assert (exported.folder / "manifest.json").read_text() == before
    assert not any(p.name.startswith(".test-model.staging") for p in exported.folder.parent.iterdir())


def test_validation_names_damaged_files(exported, tmp_path: Path) -> None:  # noqa: ANN001
    """A flipped byte (sha256), a truncated file (size) and a missing file are each reported by path."""
    folder = tmp_path / "copy"
    shutil.copytree(exported.folder, folder)
    heads = folder / "heads.onnx"
    data = bytearray(heads.read_bytes())
    data[100] ^= 0xFF
    heads.write_bytes(bytes(data))
    (folder / "classes/spleen.f32").write_bytes((folder / "classes/spleen.f32").read_bytes()[:-1])
    (folder / "classes/liver.f32").unlink()
    with pytest.raises(ManifestError) as err:
        validate_model_folder(folder)
    message = str(err.value)
    assert "heads.onnx: sha256 differs" in message
    assert "classes/spleen.f32: 840291 bytes, manifest says 840292" in message
    assert "classes/liver.f32: missing" in message


def test_schema_and_reference_errors_are_named(exported) -> None:  # noqa: ANN001
    """Bad semver, a non-SCT code, an unlisted class file and a partOf naming no class are each refused."""
    good = json.loads((exported.folder / "manifest.json").read_text())
    cases = {
        "version": lambda m: m.update(version="1.0"),
        "scheme": lambda m: m["classes"][0]["type"].update(scheme="SRT"),
        "is used but not listed in files": lambda m: m["files"].pop(),
        "not a class of the model": lambda m: m["classes"][2].update(partOf="pancreas"),
        "'kind'": lambda m: m["steps"][0].pop("kind"),
    }
    for expected, damage in cases.items():
        manifest = copy.deepcopy(good)
        damage(manifest)
        with pytest.raises(ManifestError, match=expected):
            check_manifest(manifest)


def test_padding_comes_from_the_checkpoint_unless_overridden_and_the_schema_knows_only_two_modes(exported) -> None:  # noqa: ANN001
    """A checkpoint without padding exports "constant"; --padding replicate (ReleaseOptions.padding) wins; an unknown
    mode is refused by the schema."""
    from contseg.export.release import _preprocess

    ckpt = {"preprocess": {"spacing": [3, 3, 3], "patch": [64, 64, 64], "overlap": 0.25}}
    assert _preprocess(ckpt, None)["padding"] == "constant"
    assert _preprocess({"preprocess": {**ckpt["preprocess"], "padding": "replicate"}}, None)["padding"] == "replicate"
    assert _preprocess(ckpt, "replicate")["padding"] == "replicate"
    manifest = json.loads((exported.folder / "manifest.json").read_text())
    manifest["preprocess"]["padding"] = "reflect"
    with pytest.raises(ManifestError, match="reflect"):
        check_manifest(manifest)
