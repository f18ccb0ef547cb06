// A model registry for panel tests, written by the export's own writers (models/contseg/export/manifest.py:
// `manifest_class` copies each catalogue class into manifest form, `update_index` lists the model in index.json).
// The manifest holds the class entries only: the panel reads nothing else, and no network files are needed.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { VENV_PYTHON } from './phantom.ts';
import { REPO_ROOT } from './viewer-server.ts';

const WRITER = `
import json, sys
from pathlib import Path
from contseg.export.heads import class_slug
from contseg.export.manifest import CATALOGUE_PATH, manifest_class, update_index

registry, model_id, version = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
names = [c["name"] for c in json.loads(CATALOGUE_PATH.read_text())["classes"]]
folder = registry / model_id
folder.mkdir(parents=True)
manifest = {
    "id": model_id,
    "version": version,
    "description": "every catalogue class (panel test registry)",
    "classes": [manifest_class(n, 1, "clip", f"classes/{class_slug(n)}.f32") for n in names],
}
(folder / "manifest.json").write_text(json.dumps(manifest))
update_index(registry, manifest, folder)
`;

/** Writes `<registry>/index.json` and `<registry>/<modelId>/manifest.json` listing every catalogue class. */
export async function writeCatalogueRegistry(
  registry: string,
  modelId: string,
  version: string,
): Promise<void> {
  await promisify(execFile)(VENV_PYTHON, ['-c', WRITER, registry, modelId, version], { cwd: REPO_ROOT });
}
