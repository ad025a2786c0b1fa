/**
 * Wire schemas of the native model-registry API (`/api/v1/models`, `/model-versions`, `/resolve`).
 * Like tracking-api.ts, the server validates and serializes with these, the OpenAPI document is
 * generated from them, and the SDK uses the static types, so none of the three can drift.
 *
 * Registry entities travel in their domain shape (registry.ts, model-contract.ts): the schemas
 * below are checked against those interfaces at compile time at the bottom of this file.
 */
import Type, { type Static, type TSchema } from 'typebox';
import {
  COMPATIBILITY_MODES,
  CONTRACT_CHANGE_KINDS,
  FIELD_TYPES,
  type CompatibilityReport,
  type ContractChange,
  type ModelContract,
} from './model-contract.js';
import {
  MODEL_RUNTIMES,
  MODEL_STAGES,
  MODEL_VERSION_STATUSES,
  REGISTRY_EVENT_TYPES,
  type GateResult,
  type ModelPackage,
  type ModelVersion,
  type RegisteredModel,
  type RegistryEvent,
} from './registry.js';
import { StringMapSchema } from './tracking-api.js';

/** A string that must not be empty. */
const NonEmptyString = (options: { description?: string } = {}) => Type.String({ minLength: 1, ...options });

/** Milliseconds since the Unix epoch. */
const Millis = (description = 'Milliseconds since the Unix epoch.') =>
  Type.Integer({ minimum: 0, description });

/** Free-form JSON object (manifest metadata, event details). */
const JsonObject = (description: string) => Type.Record(Type.String(), Type.Unknown(), { description });

const MODEL_NAME_RULE =
  "A registered model name: '/' and '@' are not allowed (they separate parts of models:/ URIs); " +
  'percent-encode every other reserved character (space as %20, ? as %3F, # as %23, % as %25).';

// ---------------------------------------------------------------------------------------------
// Contracts
// ---------------------------------------------------------------------------------------------

/** Schema of a contract field's value type. */
export const FieldTypeSchema = Type.Enum(FIELD_TYPES);

/** Schema of a compatibility mode. */
export const CompatibilityModeSchema = Type.Enum(COMPATIBILITY_MODES, {
  description:
    'backward: the new version serves every caller of the old one; forward: the old version serves ' +
    'callers written for the new one; full: both.',
});

/** Schema of one named input or output of a contract. */
export const ContractFieldSchema = Type.Object(
  {
    name: NonEmptyString(),
    type: FieldTypeSchema,
    shape: Type.Optional(
      Type.Array(Type.Integer({ minimum: -1 }), { description: '-1 marks a dynamic dimension.' }),
    ),
    nullable: Type.Boolean({ description: 'True when the field may be missing or null.' }),
    categories: Type.Optional(Type.Array(Type.Union([Type.String(), Type.Number()]))),
    range: Type.Optional(
      Type.Object(
        { min: Type.Optional(Type.Number()), max: Type.Optional(Type.Number()) },
        { additionalProperties: false },
      ),
    ),
    meaning: Type.Optional(Type.String({ description: 'What an output means; changing it breaks callers.' })),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** Schema of one side (inputs or outputs) of a contract. */
export const ContractSchemaSchema = Type.Object(
  { kind: Type.Enum(['columns', 'tensors']), fields: Type.Array(ContractFieldSchema) },
  { additionalProperties: false },
);

/** Schema of a model version's typed input/output contract. */
export const ModelContractSchema = Type.Object(
  {
    inputs: ContractSchemaSchema,
    outputs: ContractSchemaSchema,
    source: Type.Enum(['mlflow-signature', 'onnx', 'declared']),
  },
  { additionalProperties: false },
);

/** Schema of one field-level difference between two contracts. */
export const ContractChangeSchema = Type.Object(
  {
    side: Type.Enum(['inputs', 'outputs']),
    field: Type.String({
      description: "The field's name in the old contract (the new name for an added one).",
    }),
    renamedTo: Type.Optional(
      Type.String({ description: "field-renamed: the field's name in the new contract." }),
    ),
    kind: Type.Enum(CONTRACT_CHANGE_KINDS),
    breaking: Type.Boolean(),
    message: Type.String(),
  },
  { additionalProperties: false },
);

/** Schema of the result of comparing two contracts in one mode. */
export const CompatibilityReportSchema = Type.Object(
  {
    mode: CompatibilityModeSchema,
    compatible: Type.Boolean({ description: 'True when no change is breaking.' }),
    changes: Type.Array(ContractChangeSchema),
  },
  { additionalProperties: false },
);

// ---------------------------------------------------------------------------------------------
// Entities
// ---------------------------------------------------------------------------------------------

/** Schema of one file of a model package. */
export const PackageFileSchema = Type.Object(
  {
    path: Type.String(),
    size: Type.Integer({ minimum: 0 }),
    sha256: Type.String({ description: 'Lowercase hex SHA-256 of the bytes.' }),
  },
  { additionalProperties: false },
);

/** Schema of an immutable model package. */
export const ModelPackageSchema = Type.Object(
  {
    manifest: Type.Enum(['slipway.yaml', 'MLmodel']),
    runtime: Type.Enum(MODEL_RUNTIMES),
    entryPoint: Type.Optional(Type.String()),
    digest: Type.String({ description: 'sha256:<hex> over the sorted file list: the package identity.' }),
    storagePath: Type.String({ description: 'Artifact-store path of the immutable copy.' }),
    files: Type.Array(PackageFileSchema),
    metadata: JsonObject('Free-form metadata from the manifest.'),
  },
  { additionalProperties: false },
);

/** Schema of one model version. */
export const ModelVersionSchema = Type.Object(
  {
    name: Type.String(),
    version: Type.String({ description: 'A decimal string: "1", "2", ...' }),
    creationTime: Millis(),
    lastUpdatedTime: Millis(),
    currentStage: Type.Enum(MODEL_STAGES, { description: "MLflow's deprecated stage; use aliases." }),
    description: Type.String(),
    userId: Type.String(),
    source: Type.String({ description: 'Where the model came from, as given (runs:/<id>/model, ...).' }),
    runId: Type.String(),
    runLink: Type.String(),
    status: Type.Enum(MODEL_VERSION_STATUSES),
    statusMessage: Type.String(),
    tags: StringMapSchema,
    aliases: Type.Array(Type.String(), { description: 'Aliases pointing at this version, sorted.' }),
    contract: Type.Optional(ModelContractSchema),
    package: Type.Optional(ModelPackageSchema),
  },
  { additionalProperties: false },
);

/** Schema of an alias and the version it points at. */
export const ModelAliasSchema = Type.Object(
  { alias: Type.String(), version: Type.String() },
  { additionalProperties: false },
);

/** Schema of a registered model. */
export const RegisteredModelSchema = Type.Object(
  {
    name: Type.String(),
    creationTime: Millis(),
    lastUpdatedTime: Millis(),
    description: Type.String(),
    tags: StringMapSchema,
    aliases: Type.Array(ModelAliasSchema),
    latestVersions: Type.Array(ModelVersionSchema, {
      description: "The newest version in each stage (MLflow's latest_versions).",
    }),
  },
  { additionalProperties: false },
);

/** Schema of a promotion gate's outcome (evidence properties are free-form). */
export const GateResultSchema = Type.Object(
  { passed: Type.Boolean() },
  {
    additionalProperties: true,
    description: 'Free-form evidence besides passed: metrics, baseline, margin.',
  },
);

/** Schema of one append-only registry event. */
export const RegistryEventSchema = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, description: 'Orders events; times may repeat.' }),
    type: Type.Enum(REGISTRY_EVENT_TYPES),
    time: Millis(),
    actor: Type.String(),
    modelName: Type.String(),
    version: Type.Optional(Type.String()),
    alias: Type.Optional(Type.String()),
    fromVersion: Type.Optional(
      Type.String({ description: 'Alias events: the version before (absent if unset).' }),
    ),
    toVersion: Type.Optional(
      Type.String({ description: 'Alias events: the version after (absent on delete).' }),
    ),
    reason: Type.Optional(Type.String()),
    gate: Type.Optional(GateResultSchema),
    forced: Type.Optional(
      Type.Boolean({ description: 'True when a breaking contract change was overridden.' }),
    ),
    details: Type.Optional(JsonObject('Event-specific extras (previous name, overridden breaks).')),
  },
  { additionalProperties: false },
);

/** Schema of what one alias pointed at, at a moment. */
export const AliasAtTimeSchema = Type.Object(
  {
    alias: Type.String(),
    version: Type.Optional(Type.String({ description: 'Absent when the alias was not set then.' })),
    since: Type.Optional(RegistryEventSchema),
  },
  { additionalProperties: false },
);

/** What one alias pointed at, at a moment, and the event that put it there. */
export type AliasAtTime = Static<typeof AliasAtTimeSchema>;

// ---------------------------------------------------------------------------------------------
// Path parameters
// ---------------------------------------------------------------------------------------------

const ModelNameParam = () => NonEmptyString({ description: MODEL_NAME_RULE });
const VersionParam = () => NonEmptyString({ description: 'A version number such as 3.' });
const AliasParam = () => NonEmptyString({ description: "Letters, digits, '_' and '-'; not latest or v<n>." });

/** Path parameters naming a registered model. */
export const ModelNameParamsSchema = Type.Object({ name: ModelNameParam() });
/** Path parameters naming a registered model tag. */
export const ModelTagParamsSchema = Type.Object({ name: ModelNameParam(), key: NonEmptyString() });
/** Path parameters naming a model version. */
export const ModelVersionParamsSchema = Type.Object({ name: ModelNameParam(), version: VersionParam() });
/** Path parameters naming a model version tag. */
export const ModelVersionTagParamsSchema = Type.Object({
  name: ModelNameParam(),
  version: VersionParam(),
  key: NonEmptyString(),
});
/** Path parameters naming an alias of a model. */
export const ModelAliasParamsSchema = Type.Object({ name: ModelNameParam(), alias: AliasParam() });

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

const registrySearchFields = (maxResults: number) => ({
  filter: Type.Optional(
    Type.String({ description: 'MLflow registry filter grammar, e.g. "name LIKE \'fraud%\'".' }),
  ),
  orderBy: Type.Optional(
    Type.Array(Type.String(), {
      description: 'e.g. "name ASC" or "last_updated_timestamp DESC"; repeatable.',
    }),
  ),
  maxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: maxResults })),
  pageToken: Type.Optional(Type.String({ description: 'The nextPageToken of the previous page.' })),
});

/** Body of `POST /models`. */
export const CreateRegisteredModelRequestSchema = Type.Object(
  {
    name: NonEmptyString({ description: MODEL_NAME_RULE }),
    description: Type.Optional(Type.String()),
    tags: Type.Optional(StringMapSchema),
  },
  { additionalProperties: false },
);
/** Body of `POST /models`. */
export type CreateRegisteredModelRequest = Static<typeof CreateRegisteredModelRequestSchema>;

/** Query of `GET /models`. */
export const SearchRegisteredModelsQuerySchema = Type.Object(registrySearchFields(1000), {
  additionalProperties: false,
});
/** Query of `GET /models`. */
export type SearchRegisteredModelsQuery = Static<typeof SearchRegisteredModelsQuerySchema>;

/** Body of `PATCH /models/:name`: a new `name` renames (versions, aliases and history follow). */
export const UpdateRegisteredModelRequestSchema = Type.Object(
  {
    name: Type.Optional(NonEmptyString({ description: `The new name. ${MODEL_NAME_RULE}` })),
    description: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
/** Body of `PATCH /models/:name`. */
export type UpdateRegisteredModelRequest = Static<typeof UpdateRegisteredModelRequestSchema>;

const versionFields = {
  source: NonEmptyString({
    description:
      'runs:/<runId>/<path> or mlflow-artifacts:/<path> (a package there is copied and digested), or any ' +
      'other URI (recorded as given).',
  }),
  runId: Type.Optional(Type.String({ description: 'The run that produced the model (lineage).' })),
  runLink: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  tags: Type.Optional(StringMapSchema),
  contract: Type.Optional({
    ...ModelContractSchema,
    description: "A declared contract; overrides the package's.",
  }),
};

/** Body of `POST /models/:name/versions`. */
export const CreateModelVersionRequestSchema = Type.Object(versionFields, { additionalProperties: false });
/** Body of `POST /models/:name/versions`. */
export type CreateModelVersionRequest = Static<typeof CreateModelVersionRequestSchema>;

/** Body of `POST /models/register`: creates the model when missing, then registers a version. */
export const RegisterModelRequestSchema = Type.Object(
  { name: NonEmptyString({ description: MODEL_NAME_RULE }), ...versionFields },
  { additionalProperties: false },
);
/** Body of `POST /models/register`. */
export type RegisterModelRequest = Static<typeof RegisterModelRequestSchema>;

/** Body of `PATCH /models/:name/versions/:version`. */
export const UpdateModelVersionRequestSchema = Type.Object(
  { description: Type.String() },
  { additionalProperties: false },
);
/** Body of `PATCH /models/:name/versions/:version`. */
export type UpdateModelVersionRequest = Static<typeof UpdateModelVersionRequestSchema>;

/** Query of `GET /model-versions`. */
export const SearchModelVersionsQuerySchema = Type.Object(registrySearchFields(200_000), {
  additionalProperties: false,
});
/** Query of `GET /model-versions`. */
export type SearchModelVersionsQuery = Static<typeof SearchModelVersionsQuerySchema>;

/** Body of `PUT /models/:name/aliases/:alias`. */
export const SetAliasRequestSchema = Type.Object(
  {
    version: NonEmptyString({ description: 'The version the alias will point at.' }),
    reason: Type.Optional(Type.String({ description: 'Recorded in the history.' })),
    force: Type.Optional(
      Type.Boolean({ description: 'Move even when the contract breaks the current version’s (audited).' }),
    ),
    gate: Type.Optional(GateResultSchema),
  },
  { additionalProperties: false },
);
/** Body of `PUT /models/:name/aliases/:alias`. */
export type SetAliasRequest = Static<typeof SetAliasRequestSchema>;

/** Body of `DELETE /models/:name/aliases/:alias` (optional; `?reason=` works as well). */
export const DeleteAliasRequestSchema = Type.Object(
  { reason: Type.Optional(Type.String({ description: 'Recorded in the history.' })) },
  { additionalProperties: false },
);
/** Body of `DELETE /models/:name/aliases/:alias`. */
export type DeleteAliasRequest = Static<typeof DeleteAliasRequestSchema>;

/** Query of `DELETE /models/:name/aliases/:alias`. */
export const DeleteAliasQuerySchema = DeleteAliasRequestSchema;
/** Query of `DELETE /models/:name/aliases/:alias`. */
export type DeleteAliasQuery = Static<typeof DeleteAliasQuerySchema>;

/** Query of `GET /resolve`. */
export const ResolveModelQuerySchema = Type.Object(
  {
    uri: NonEmptyString({
      description:
        'models:/<name>/<version>, models:/<name>@<alias>, models:/<name>/latest or models:/<name>/<Stage>.',
    }),
  },
  { additionalProperties: false },
);
/** Query of `GET /resolve`. */
export type ResolveModelQuery = Static<typeof ResolveModelQuerySchema>;

/** Query of `GET /models/:name/history`. */
export const ModelHistoryQuerySchema = Type.Object(
  {
    alias: Type.Optional(NonEmptyString({ description: 'Only the events of this alias.' })),
    afterSeq: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Only events after this seq (paging).' }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'Defaults to 1000.' })),
  },
  { additionalProperties: false },
);
/** Query of `GET /models/:name/history`. */
export type ModelHistoryQuery = Static<typeof ModelHistoryQuerySchema>;

/** Query of `GET /models/:name/aliases-at`. */
export const AliasesAtQuerySchema = Type.Object(
  {
    at: NonEmptyString({
      description: 'ms since the epoch, or an ISO 8601 time such as 2024-03-03T12:00:00Z.',
    }),
    alias: Type.Optional(NonEmptyString({ description: 'Only this alias.' })),
  },
  { additionalProperties: false },
);
/** Query of `GET /models/:name/aliases-at`. */
export type AliasesAtQuery = Static<typeof AliasesAtQuerySchema>;

/** Query of `GET /models/:name/contract-diff`. */
export const ContractDiffQuerySchema = Type.Object(
  {
    from: NonEmptyString({ description: 'The old version (e.g. the one serving now).' }),
    to: NonEmptyString({ description: 'The new version.' }),
    mode: Type.Optional({ ...CompatibilityModeSchema, description: 'Defaults to backward.' }),
  },
  { additionalProperties: false },
);
/** Query of `GET /models/:name/contract-diff`. */
export type ContractDiffQuery = Static<typeof ContractDiffQuerySchema>;

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

const withPageToken = <T extends Record<string, TSchema>>(properties: T) =>
  Type.Object(
    {
      ...properties,
      nextPageToken: Type.Optional(Type.String({ description: 'Present when more results may follow.' })),
    },
    { additionalProperties: false },
  );

/** Response carrying one registered model. */
export const RegisteredModelResponseSchema = Type.Object(
  { registeredModel: RegisteredModelSchema },
  { additionalProperties: false },
);
/** Response carrying one registered model. */
export type RegisteredModelResponse = Static<typeof RegisteredModelResponseSchema>;

/** Response of `GET /models`. */
export const RegisteredModelListResponseSchema = withPageToken({
  registeredModels: Type.Array(RegisteredModelSchema),
});
/** Response of `GET /models`. */
export type RegisteredModelListResponse = Static<typeof RegisteredModelListResponseSchema>;

/** Response carrying one model version. */
export const ModelVersionResponseSchema = Type.Object(
  { modelVersion: ModelVersionSchema },
  { additionalProperties: false },
);
/** Response carrying one model version. */
export type ModelVersionResponse = Static<typeof ModelVersionResponseSchema>;

/** Response of `GET /model-versions`. */
export const ModelVersionListResponseSchema = withPageToken({
  modelVersions: Type.Array(ModelVersionSchema),
});
/** Response of `GET /model-versions`. */
export type ModelVersionListResponse = Static<typeof ModelVersionListResponseSchema>;

/** Response of `GET .../versions/:version/download-uri`. */
export const DownloadUriResponseSchema = Type.Object(
  {
    artifactUri: Type.String({
      description: "The version's immutable package copy (mlflow-artifacts:/...), else its source.",
    }),
  },
  { additionalProperties: false },
);
/** Response of `GET .../versions/:version/download-uri`. */
export type DownloadUriResponse = Static<typeof DownloadUriResponseSchema>;

/** Response of `PUT /models/:name/aliases/:alias`: the audit event and the contract check that allowed it. */
export const AliasMoveResponseSchema = Type.Object(
  {
    event: RegistryEventSchema,
    compatibility: Type.Optional({
      ...CompatibilityReportSchema,
      description: 'Absent when there was nothing to compare (first assignment, no contracts, mode none).',
    }),
  },
  { additionalProperties: false },
);
/** Response of `PUT /models/:name/aliases/:alias`. */
export type AliasMoveResponse = Static<typeof AliasMoveResponseSchema>;

/** Response carrying one registry event (`DELETE /models/:name/aliases/:alias`). */
export const RegistryEventResponseSchema = Type.Object(
  { event: RegistryEventSchema },
  { additionalProperties: false },
);
/** Response carrying one registry event. */
export type RegistryEventResponse = Static<typeof RegistryEventResponseSchema>;

/** Response of `GET /models/:name/history`: events oldest first. */
export const RegistryEventListResponseSchema = Type.Object(
  { events: Type.Array(RegistryEventSchema) },
  { additionalProperties: false },
);
/** Response of `GET /models/:name/history`. */
export type RegistryEventListResponse = Static<typeof RegistryEventListResponseSchema>;

/** Response of `GET /models/:name/aliases-at`. */
export const AliasesAtResponseSchema = Type.Object(
  {
    at: Millis('The moment asked about, in ms since the epoch.'),
    aliases: Type.Array(AliasAtTimeSchema, { description: 'Sorted by alias.' }),
  },
  { additionalProperties: false },
);
/** Response of `GET /models/:name/aliases-at`. */
export type AliasesAtResponse = Static<typeof AliasesAtResponseSchema>;

/** Response of `GET /models/:name/contract-diff`. */
export const ContractDiffResponseSchema = Type.Object(
  { compatibility: CompatibilityReportSchema },
  { additionalProperties: false },
);
/** Response of `GET /models/:name/contract-diff`. */
export type ContractDiffResponse = Static<typeof ContractDiffResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Compile-time agreement between the schemas and the domain types
// ---------------------------------------------------------------------------------------------

/** True when A and B are mutually assignable. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Compiles only when every entry is true. */
type AssertAll<T extends true[]> = T;

// Fails to compile when the schemas stop describing the domain types; nothing exists at run time.
type _SchemasMatchDomainTypes = AssertAll<
  [
    Same<Static<typeof ModelContractSchema>, ModelContract>,
    Same<Static<typeof ContractChangeSchema>, ContractChange>,
    Same<Static<typeof CompatibilityReportSchema>, CompatibilityReport>,
    Same<Static<typeof ModelPackageSchema>, ModelPackage>,
    Same<Static<typeof ModelVersionSchema>, ModelVersion>,
    Same<Static<typeof RegisteredModelSchema>, RegisteredModel>,
    Same<Static<typeof GateResultSchema>, GateResult>,
    Same<Static<typeof RegistryEventSchema>, RegistryEvent>,
  ]
>;
