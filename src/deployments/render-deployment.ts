import { formatImageReference } from '../registry/image-reference.js';
import type { DeploymentOutcome } from './record-deployment.js';
import { platformOf } from './record-deployment.js';

/** The stored record as deployments.md answers it. */
export function renderDeployment({ deployment: d, environment, repository }: DeploymentOutcome) {
  return {
    id: d.id,
    environment,
    name: d.instance_name,
    image: {
      url: formatImageReference({ repository, tag: d.tag, digest: d.digest }),
      repository,
      digest: d.digest,
      tag: d.tag,
    },
    platform: platformOf(d),
    deployed_at: d.deployed_at,
    last_seen_at: d.last_seen_at,
    undeployed_at: d.undeployed_at,
    replaced: d.replaced_digest,
  };
}
