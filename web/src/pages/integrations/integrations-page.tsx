/*
 * `/integrations` (ui.md; the Atomist seed: "You can find the API endpoint URL on the Integrations page"): the
 * deployment endpoint with the seed's curl filled in with this server's address, the `tidewatch deploy` step for CI,
 * and each registry's hook with what to paste into it.
 */
import { pages } from '../../api/paths';
import { CopyBlock } from '../../components/copy-block';
import { useTitle } from '../../components/use-title';
import { mayAct } from '../../session/identify';
import type { Identity } from '../../session/token-store';
import { Link } from '../../router';
import { RegistryHooks } from './registry-hooks';

export function IntegrationsPage({ identity }: { identity: Identity }) {
  useTitle('Integrations');
  const origin = window.location.origin;
  const endpoint = `${origin}/api/v1/deployments`;
  const curl = [
    `curl ${endpoint} \\`,
    '  -X POST \\',
    '  -H "Content-Type: application/json" \\',
    '  -H "Authorization: Bearer $TIDEWATCH_TOKEN" \\',
    `  -d '{"image": {"url": "<image-url>@<sha256-digest>"}, "environment": {"name": "production"}}'`,
  ].join('\n');
  const cli = [
    `export TIDEWATCH_URL=${origin}`,
    'export TIDEWATCH_TOKEN=tw_…   # a token with role write',
    'npx tidewatch deploy ghcr.io/acme/web:1.4.2@sha256:<64 hex> --env production [--name web] [--platform linux/arm64/v8]',
  ].join('\n');
  const actions = [
    '- name: Tell Tidewatch what was deployed',
    '  env:',
    `    TIDEWATCH_URL: ${origin}`,
    '    TIDEWATCH_TOKEN: ${{ secrets.TIDEWATCH_TOKEN }}',
    '  run: npx tidewatch deploy "$IMAGE@$DIGEST" --env production',
  ].join('\n');
  return (
    <>
      <h1>Integrations</h1>
      <section aria-labelledby="deploy-title">
        <h2 id="deploy-title">Deployment endpoint</h2>
        <p>Post what you deploy; Tidewatch then compares the images you build with what runs in each environment. Atomist's
          deployment API, unchanged but for the address and the token.</p>
        <dl className="facts">
          <dt>API endpoint URL</dt><dd><code data-testid="deployment-endpoint">{endpoint}</code></dd>
          <dt>Token</dt><dd>role <code>write</code>, {mayAct(identity, 'admin') ? <Link to={pages.tokens()}>made on Tokens</Link> : 'made by an admin on Tokens'} (<code>tidewatch token create --role write --name ci</code>)</dd>
        </dl>
        <CopyBlock text={curl} label="curl call to the deployment endpoint" id="deploy-curl" />
        <details>
          <summary>Parameters of the body</summary>
          <div className="table-wrap">
            <table>
              <thead><tr><th scope="col">Parameter</th><th scope="col">Mandatory</th><th scope="col">Default</th><th scope="col">Description</th></tr></thead>
              <tbody>
                <tr><td><code>image.url</code></td><td>yes</td><td></td><td>Fully qualified reference of the image, pinned by digest.</td></tr>
                <tr><td><code>image.name</code></td><td>no</td><td></td><td>The instance's name; several containers of one image in an environment each need their own.</td></tr>
                <tr><td><code>environment.name</code></td><td>no</td><td><code>deployed</code></td><td>staging, production, …</td></tr>
                <tr><td><code>platform.os</code></td><td>no</td><td><code>linux</code></td><td>Operating system of the image.</td></tr>
                <tr><td><code>platform.architecture</code></td><td>no</td><td><code>amd64</code></td><td>Instruction set architecture.</td></tr>
                <tr><td><code>platform.variant</code></td><td>no</td><td></td><td>Variant label, e.g. v8.</td></tr>
              </tbody>
            </table>
          </div>
        </details>
        <h3>In a CD pipeline</h3>
        <CopyBlock text={cli} label="tidewatch deploy step" />
        <p className="help">As a GitHub Actions step:</p>
        <CopyBlock text={actions} label="GitHub Actions step" />
        <p className="help">It exits 0 when the deployment is recorded (or already was), 2 when the input is wrong, 1 when Tidewatch refuses or cannot be reached.</p>
      </section>
      <RegistryHooks origin={origin} identity={identity} />
    </>
  );
}
