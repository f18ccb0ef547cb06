// Loads the registry index, then the chosen model's manifest summary; exposes each step's state to the panel.
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
  selectedId: string | undefined;
  select: (id: string) => void;
  summary: Loadable<ModelSummary> | undefined;
}

export function useModelRegistry(baseUrl: string): ModelRegistryState {
  const [models, setModels] = useState<Loadable<RegistryEntry[]>>({ state: 'loading' });
  const [selectedId, setSelectedId] = useState<string>();
  const [summary, setSummary] = useState<Loadable<ModelSummary>>();

  useEffect(() => {
    let live = true;
    loadRegistryIndex(baseUrl).then(
      (entries) => {
        if (!live) return;
        setModels({ state: 'ready', value: entries });
        setSelectedId(entries[0]?.id);
      },
      (err: unknown) => live && setModels({ state: 'failed', error: asRegistryError(err) }),
    );
    return () => {
      live = false;
    };
  }, [baseUrl]);

  useEffect(() => {
    if (models.state !== 'ready' || selectedId === undefined) return;
    const entry = models.value.find((m) => m.id === selectedId);
    if (!entry) return;
    let live = true;
    setSummary({ state: 'loading' });
    loadModelSummary(entry).then(
      (value) => live && setSummary({ state: 'ready', value }),
      (err: unknown) => live && setSummary({ state: 'failed', error: asRegistryError(err) }),
    );
    return () => {
      live = false;
    };
  }, [models, selectedId]);

  return { models, selectedId, select: setSelectedId, summary };
}
