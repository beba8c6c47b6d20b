/* Request and response shapes of the clusters API (admission.md "Clusters"). */
import { Type } from '@sinclair/typebox';

/*
 * A DNS label, as Kubernetes names things: the name becomes the first segment of the cluster's environments
 * (`<cluster>/<namespace>`, admission.md "What gets recorded"), which must stay a valid environment name.
 */
export const CLUSTER_NAME_PATTERN = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';
const nameRule = 'must be 1–63 characters of a-z, 0-9 and -, starting and ending with a letter or digit';

export const clusterName = Type.String({ maxLength: 63, pattern: CLUSTER_NAME_PATTERN, errorMessage: nameRule });

export const createClusterBody = Type.Object({
  name: clusterName,
  fail_closed: Type.Optional(Type.Boolean({
    description: 'When Tidewatch cannot reach its database, refuse admissions instead of allowing them with a warning.',
  })),
}, { additionalProperties: false });

export const clusterParams = Type.Object({ name: clusterName });

export const clusterView = Type.Object({
  name: Type.String(),
  fail_closed: Type.Boolean(),
  created_at: Type.String(),
});

/** The create and rotate answers: the only time the secret and the URL holding it are shown. */
export const clusterWithSecret = Type.Composite([clusterView, Type.Object({
  webhook_url: Type.String({ description: 'Where the API server sends reviews: <public URL>/api/v1/admission/<secret>' }),
  secret: Type.String({ description: 'Shown once; Tidewatch keeps only its hash' }),
})]);
