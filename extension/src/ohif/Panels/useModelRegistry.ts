// Loads the registry index, then the active model's manifest summary; exposes each step's state to the panel.
import { useEffect, useState } from 'react';
import {
  loadModelSummary,
  loadRegistryIndex,
  RegistryError,
  type ModelSummary,
  type RegistryEntry,
} from '../utils/modelRegistry.ts';

export type Loadable<T> =
  { state: 'loading' } | { state: 'ready'; value: T } | { state: 'failed'; error: RegistryError };

const asRegistryError = (err: unknown) =>
  err instanceof RegistryError ? err : new RegistryError('fetch-failed', (err as Error).message);

export interface ModelRegistryState {
  models: Loadable<RegistryEntry[]>;
  /** The wanted model when the registry has it, else the registry's first. */
  activeId: string | undefined;
  summary: Loadable<ModelSummary> | undefined;
}

export function useModelRegistry(baseUrl: string, wantedId: string | undefined): ModelRegistryState {
  const [models, setModels] = useState<Loadable<RegistryEntry[]>>({ state: 'loading' });
  const [summary, setSummary] = useState<Loadable<ModelSummary>>();
  const entries = models.state === 'ready' ? models.value : [];
  const active = entries.find((m) => m.id === wantedId) ?? entries[0];

  useEffect(() => {
    let live = true;
    loadRegistryIndex(baseUrl).then(
      (value) => live && setModels({ state: 'ready', value }),
      (err: unknown) => live && setModels({ state: 'failed', error: asRegistryError(err) }),
    );
    return () => {
      live = false;
    };
  }, [baseUrl]);

  useEffect(() => {
    if (!active) return;
    let live = true;
    setSummary({ state: 'loading' });
    loadModelSummary(active).then(
      (value) => live && setSummary({ state: 'ready', value }),
      (err: unknown) => live && setSummary({ state: 'failed', error: asRegistryError(err) }),
    );
    return () => {
      live = false;
    };
  }, [active]);

  return { models, activeId: active?.id, summary };
}
