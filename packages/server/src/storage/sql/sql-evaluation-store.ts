/**
 * The SQL implementation of the evaluation store port, for SQLite and PostgreSQL. An evaluation is
 * one JSON body plus the columns listings filter and order by; its model index goes in with it in
 * the same transaction, so a reader sees either all of an evaluation or none of it.
 */
import { SlipwayError, type Evaluation } from '@slipway/contracts';
import type { Insertable } from 'kysely';
import type { EvaluationQuery, EvaluationStore } from '../../evaluation/evaluation-store.js';
import type { EvaluationModelsTable, EvaluationsTable } from './evaluation-schema.js';
import type { SqlBackend } from './sql-backend.js';

/** Evaluation store over SQLite or PostgreSQL (shares the tracking store's backend and database). */
export class SqlEvaluationStore implements EvaluationStore {
  constructor(private readonly backend: SqlBackend) {}

  /** Inserts the evaluation and its model index in one transaction; ALREADY_EXISTS when the id is taken. */
  saveEvaluation(evaluation: Evaluation): Promise<void> {
    const row: Insertable<EvaluationsTable> = {
      id: evaluation.id,
      created_at: evaluation.createdAt,
      created_by: evaluation.createdBy,
      has_promotion: evaluation.promotion === undefined ? 0 : 1,
      body: JSON.stringify(evaluation),
    };
    const models = modelRows(evaluation);
    return this.backend.write(async (conn) => {
      try {
        await conn.insertInto('evaluations').values(row).execute();
      } catch (err) {
        if (!this.backend.isUniqueViolation(err)) throw err;
        throw new SlipwayError('ALREADY_EXISTS', `Evaluation ${evaluation.id} already exists.`, {
          field: 'id',
        });
      }
      if (models.length > 0) await conn.insertInto('evaluation_models').values(models).execute();
    });
  }

  /** The evaluation as saved, or undefined. */
  async getEvaluation(id: string): Promise<Evaluation | undefined> {
    const row = await this.backend.read((conn) =>
      conn.selectFrom('evaluations').select('body').where('id', '=', id).executeTakeFirst(),
    );
    return row === undefined ? undefined : parseBody(row.body);
  }

  /**
   * Newest first by created_at, ties by save order (seq). The model filter is an EXISTS, so an
   * evaluation that scored several versions of the model is listed once. `version` applies only
   * together with `model`, as the port defines it.
   */
  listEvaluations(query: EvaluationQuery): Promise<Evaluation[]> {
    const { model, version } = query;
    return this.backend.read(async (conn) => {
      const rows = await conn
        .selectFrom('evaluations as e')
        .select('e.body')
        .$if(model !== undefined, (q) =>
          q.where((eb) =>
            eb.exists(
              eb
                .selectFrom('evaluation_models as m')
                .select('m.evaluation_id')
                .whereRef('m.evaluation_id', '=', 'e.id')
                .where('m.model_name', '=', model ?? '')
                .$if(version !== undefined, (sub) => sub.where('m.version', '=', version ?? '')),
            ),
          ),
        )
        .$if(query.promotions === true, (q) => q.where('e.has_promotion', '=', 1))
        .orderBy('e.created_at', 'desc')
        .orderBy('e.seq', 'desc')
        .limit(query.limit)
        .execute();
      return rows.map((r) => parseBody(r.body));
    });
  }
}

/** One index row per distinct (name, version); the first listed role wins for a repeated version. */
function modelRows(evaluation: Evaluation): Insertable<EvaluationModelsTable>[] {
  const rows = new Map<string, Insertable<EvaluationModelsTable>>();
  for (const m of evaluation.models) {
    const key = JSON.stringify([m.name, m.version]);
    if (!rows.has(key)) {
      rows.set(key, { evaluation_id: evaluation.id, model_name: m.name, version: m.version, role: m.role });
    }
  }
  return [...rows.values()];
}

function parseBody(body: string): Evaluation {
  return JSON.parse(body) as Evaluation;
}
