import type { Db } from '../core/db/database.js';
import { ApiError, invalid } from '../core/errors.js';
import { assertRepositoryInScope, inScope, type Caller } from '../auth/authenticate.js';
import { parseImageReference } from '../registry/image-reference.js';
import { findRepositoryId } from '../registry/repository-queries.js';
import { findEnvironment } from '../deployments/deployment-queries.js';
import { listInstances } from '../deployments/environment-queries.js';
import { findImage, parentIndexes } from '../images/image-queries.js';

/*
 * One side of a comparison (deployments.md, "Comparing"): an image pinned by digest, or `env:<name>` — everything
 * running there. Each side becomes a list of units: an instance of an environment, or the image itself.
 */

export type SideRef = { kind: 'env'; name: string } | { kind: 'image'; repository: string; digest: string };

export interface Unit {
  /** Instance name (env) or the repository (image): what base and head units are paired by. */
  name: string;
  repository_id: string;
  repository: string;
  digest: string;
  tag: string | null;
}

export interface Side {
  ref: SideRef;
  /** The text given, as the answer repeats it. */
  given: string;
  units: Unit[];
}

const environmentPattern = /^[A-Za-z0-9._/-]{1,128}$/;

export function parseSide(value: string | undefined, field: 'base' | 'head'): SideRef {
  const name = `query.${field}`;
  if (value === undefined || value === '') {
    throw invalid(name, `${name} is required: an image reference pinned by digest (host/path@sha256:<64 hex>) or env:<environment>`);
  }
  if (value.startsWith('env:')) {
    const env = value.slice(4);
    if (!environmentPattern.test(env)) {
      throw invalid(name, `${name} names an environment that is not valid: after "env:" come 1–128 characters of A-Za-z0-9._-/ (got "${value.slice(0, 140)}")`);
    }
    return { kind: 'env', name: env };
  }
  const parsed = parseImageReference(value);
  if (!parsed.ok) throw invalid(name, `${name} is neither env:<environment> nor a valid image reference: ${parsed.reason}`);
  if (!parsed.ref.digest) {
    throw invalid(name, `${name} must be pinned by digest: <repository>@sha256:<64 hex>, or env:<environment> (got "${value.slice(0, 140)}")`);
  }
  return { kind: 'image', repository: parsed.ref.repository, digest: parsed.ref.digest };
}

/** The side's units as the caller may see them; 404 for an environment or image the workspace does not have. */
export async function resolveSide(db: Db, caller: Caller, ref: SideRef, given: string): Promise<Side> {
  if (ref.kind === 'env') {
    const env = await findEnvironment(db, caller.workspaceId, ref.name);
    if (!env) throw new ApiError('TW_NOT_FOUND', `environment ${ref.name} not found`);
    const units = (await listInstances(db, env.id)).filter((i) => inScope(caller, i.repository)).map((i) => ({
      name: i.instance_name, repository_id: i.repository_id, repository: i.repository, digest: i.digest, tag: i.tag,
    }));
    return { ref, given, units };
  }
  assertRepositoryInScope(caller, ref.repository);
  const notFound = () => new ApiError('TW_NOT_FOUND', `image ${ref.repository}@${ref.digest} not found`);
  const repositoryId = await findRepositoryId(db, caller.workspaceId, ref.repository);
  if (!repositoryId) throw notFound();
  const [image, indexes] = await Promise.all([findImage(db, repositoryId, ref.digest), parentIndexes(db, repositoryId, ref.digest)]);
  if (!image && indexes.length === 0) throw notFound();
  return { ref, given, units: [{ name: ref.repository, repository_id: repositoryId, repository: ref.repository, digest: ref.digest, tag: null }] };
}

export type Change = 'added' | 'removed' | 'changed' | 'unchanged';

export interface Pair {
  name: string;
  change: Change;
  base: Unit | null;
  head: Unit | null;
}

/**
 * Which units stand against which. Two environments: instance by instance name. An image against an environment:
 * the image against each instance of its repository there (what it would replace) — and only those instances count
 * on the environment's side. Two images: one against the other.
 */
export function pairUnits(base: Side, head: Side): { pairs: Pair[]; base: Unit[]; head: Unit[] } {
  if (base.ref.kind === 'env' && head.ref.kind === 'env') {
    const names = [...new Set([...base.units, ...head.units].map((u) => u.name))].sort();
    const byName = (units: Unit[]) => new Map(units.map((u) => [u.name, u]));
    const b = byName(base.units);
    const h = byName(head.units);
    return { pairs: names.map((name) => pairOf(name, b.get(name) ?? null, h.get(name) ?? null)), base: base.units, head: head.units };
  }
  if (base.ref.kind === 'image' && head.ref.kind === 'image') {
    return { pairs: [pairOf(head.units[0]!.name, base.units[0]!, head.units[0]!)], base: base.units, head: head.units };
  }
  const imageSide = base.ref.kind === 'image' ? base : head;
  const image = imageSide.units[0]!;
  const envUnits = (imageSide === base ? head : base).units.filter((u) => u.repository_id === image.repository_id);
  const restricted = { image: [image], env: envUnits };
  const pairs = envUnits.length === 0
    ? [imageSide === base ? pairOf(image.name, image, null) : pairOf(image.name, null, image)]
    : envUnits.map((u) => (imageSide === base ? pairOf(u.name, image, u) : pairOf(u.name, u, image)));
  return imageSide === base
    ? { pairs, base: restricted.image, head: restricted.env }
    : { pairs, base: restricted.env, head: restricted.image };
}

function pairOf(name: string, base: Unit | null, head: Unit | null): Pair {
  const change: Change = !base ? 'added' : !head ? 'removed'
    : base.digest === head.digest && base.repository_id === head.repository_id ? 'unchanged' : 'changed';
  return { name, change, base, head };
}
