/** `client.experiments`: create, read, search, rename, delete/restore and tag experiments. */
import type {
  CreateExperimentRequest,
  Experiment,
  ExperimentListResponse,
  ExperimentResponse,
  StringMap,
  ViewType,
} from '@slipway/contracts';
import { pathOf, type Transport } from './transport.js';

/** Input of `experiments.create`. */
export interface CreateExperimentInput {
  /** Unique among all experiments, deleted ones included. */
  name: string;
  /** Where runs of this experiment store artifacts; defaults to the server's artifact store. */
  artifactLocation?: string;
  tags?: StringMap;
}

/** Options of `experiments.search` (MLflow filter/order-by grammar). */
export interface SearchExperimentsOptions {
  /** e.g. `name LIKE 'team-%' AND tags.owner = 'ana'`. */
  filter?: string;
  /** e.g. `['name ASC']` or `['last_update_time DESC']`. */
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
  /** ACTIVE_ONLY (default), DELETED_ONLY or ALL. */
  viewType?: ViewType;
}

/** A page of experiments. */
export interface ExperimentPage {
  experiments: Experiment[];
  /** Pass as `pageToken` to get the next page; absent on the last page. */
  nextPageToken?: string;
}

/** Experiment operations of a client. */
export class ExperimentsApi {
  constructor(private readonly http: Transport) {}

  /** Creates an experiment; AlreadyExistsError if the name is taken. */
  async create(input: CreateExperimentInput): Promise<Experiment> {
    const body: CreateExperimentRequest = input;
    return (await this.http.json<ExperimentResponse>('POST', '/experiments', { json: body })).experiment;
  }

  /** Returns an experiment by id; NotFoundError if absent. */
  async get(experimentId: string): Promise<Experiment> {
    return (await this.http.json<ExperimentResponse>('GET', pathOf('experiments', experimentId))).experiment;
  }

  /** Returns the experiment with exactly this name; NotFoundError if absent. */
  async getByName(name: string): Promise<Experiment> {
    return (await this.http.json<ExperimentResponse>('GET', pathOf('experiments', 'by-name', name)))
      .experiment;
  }

  /** Returns one page of experiments matching the options. */
  async search(options: SearchExperimentsOptions = {}): Promise<ExperimentPage> {
    const { filter, orderBy, maxResults, pageToken, viewType } = options;
    const query = { filter, orderBy, maxResults, pageToken, viewType };
    return this.http.json<ExperimentListResponse>('GET', '/experiments', { query });
  }

  /** Renames an experiment and returns it. */
  async rename(experimentId: string, name: string): Promise<Experiment> {
    const path = pathOf('experiments', experimentId);
    return (await this.http.json<ExperimentResponse>('PATCH', path, { json: { name } })).experiment;
  }

  /** Soft-deletes an experiment and its runs. */
  async delete(experimentId: string): Promise<void> {
    await this.http.empty('DELETE', pathOf('experiments', experimentId));
  }

  /** Restores a soft-deleted experiment and its runs, and returns it. */
  async restore(experimentId: string): Promise<Experiment> {
    const path = `${pathOf('experiments', experimentId)}/restore`;
    return (await this.http.json<ExperimentResponse>('POST', path)).experiment;
  }

  /** Sets (or replaces) an experiment tag. */
  async setTag(experimentId: string, key: string, value: string): Promise<void> {
    await this.http.empty('PUT', pathOf('experiments', experimentId, 'tags', key), { json: { value } });
  }

  /** Deletes an experiment tag; NotFoundError if it is not set. */
  async deleteTag(experimentId: string, key: string): Promise<void> {
    await this.http.empty('DELETE', pathOf('experiments', experimentId, 'tags', key));
  }
}
