/**
 * Resolves and loads the model versions an evaluation names (see registry/version-loader.ts).
 */
import { invalidArgument, type EvaluatedModelRef, type EvaluationModel } from '@slipway/contracts';
import type { RegistryService } from '../registry/registry-service.js';
import { loadVersion, modelId, resolveVersion } from '../registry/version-loader.js';
import type { LoadedModel } from '../runtimes/runtime.js';

/** A resolved, loaded model of an evaluation. */
export interface ResolvedModel extends EvaluationModel {
  model: LoadedModel;
}

/**
 * Resolves and loads every model, in order; on any failure the models already loaded are closed.
 * A version named twice is refused: its metrics would be indistinguishable in the report.
 */
export async function loadModels(
  registry: RegistryService,
  refs: readonly EvaluatedModelRef[],
  field: string,
): Promise<ResolvedModel[]> {
  const loaded: ResolvedModel[] = [];
  try {
    for (const [i, ref] of refs.entries()) {
      const at = `${field}[${i}]`;
      const version = await resolveVersion(registry, ref, at);
      const id = modelId(version.name, version.version);
      if (loaded.some((m) => m.id === id)) throw invalidArgument(at, `${id} is listed twice`);
      const model = await loadVersion(registry, version, at);
      loaded.push({ id, name: version.name, version: version.version, role: ref.role ?? 'candidate', model });
    }
    return loaded;
  } catch (error) {
    await closeModels(loaded);
    throw error;
  }
}

/** Closes every model, even when one close fails. */
export async function closeModels(models: readonly { model: LoadedModel }[]): Promise<void> {
  await Promise.allSettled(models.map((m) => m.model.close()));
}
