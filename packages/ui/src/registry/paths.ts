/** Addresses of the registry pages, so every link to a model, version or evaluation reads the same. Pure. */

/** `/models/<name>`, or `/models/<name>/versions/<version>` for one version. */
export function modelPath(name: string, version?: string): string {
  const base = `/models/${encodeURIComponent(name)}`;
  return version === undefined ? base : `${base}/versions/${encodeURIComponent(version)}`;
}

/** `/evaluations/<id>`: one stored evaluation. */
export function evaluationPath(id: string): string {
  return `/evaluations/${encodeURIComponent(id)}`;
}
