import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildPage, canonicalRepositoryOf, environmentPage, imagePage, publicUrlOf, quayRepository, repositoryPage,
} from './quay-repository.js';

const D = `sha256:${'c'.repeat(64)}`;

test('Quay\'s split (concepts.md): namespace the first path segment, name the rest, docker_url host/namespace/name', () => {
  const cases: Array<[string, string, string, string, string]> = [
    // canonical, repository, namespace, name, docker_url
    ['registry.example.com/acme/web', 'acme/web', 'acme', 'web', 'registry.example.com/acme/web'],
    ['docker.io/library/nginx', 'library/nginx', 'library', 'nginx', 'docker.io/library/nginx'],
    ['nginx', 'library/nginx', 'library', 'nginx', 'docker.io/library/nginx'],
    ['ghcr.io/acme/team/web', 'acme/team/web', 'acme', 'team/web', 'ghcr.io/acme/team/web'],
    ['quay.io/dgangaia/test', 'dgangaia/test', 'dgangaia', 'test', 'quay.io/dgangaia/test'],
    // No namespace at all: as registry/record-pushes.ts writes repo_push data.
    ['localhost:5000/web', 'web', '', 'web', 'localhost:5000/web'],
  ];
  for (const [canonical, repository, namespace, name, dockerUrl] of cases) {
    assert.deepEqual(quayRepository(canonical), { repository, namespace, name, docker_url: dockerUrl }, canonical);
  }
  assert.throws(() => quayRepository('Not A Repo'), /not a repository name/);
});

test('the canonical repository of stored data: docker_url (repo_push) before repository (every other event)', () => {
  assert.equal(canonicalRepositoryOf({ repository: 'acme/web', docker_url: 'quay.io/acme/web' }), 'quay.io/acme/web');
  assert.equal(canonicalRepositoryOf({ repository: 'ghcr.io/acme/web' }), 'ghcr.io/acme/web');
  assert.equal(canonicalRepositoryOf({ repository: 'nginx' }), 'docker.io/library/nginx');
  assert.equal(canonicalRepositoryOf({ repository: 42 }), null);
  assert.equal(canonicalRepositoryOf({}), null);
});

test('page addresses of ui.md, with a trailing slash on the public URL tolerated', () => {
  for (const base of ['https://tw.example', 'https://tw.example/']) {
    assert.equal(repositoryPage(base, 'localhost:5000/acme/web'), 'https://tw.example/repositories/localhost:5000/acme/web');
    assert.equal(buildPage(base, 'ghcr.io/acme/web', 'b-1'), 'https://tw.example/repositories/ghcr.io/acme/web/build/b-1');
    assert.equal(imagePage(base, 'ghcr.io/acme/web', D), `https://tw.example/images/ghcr.io/acme/web@${D}`);
    // Environment names hold '/', percent-encoded as in the API (deployments.md).
    assert.equal(environmentPage(base, 'prod-eu/payments'), 'https://tw.example/environments/prod-eu%2Fpayments');
  }
  assert.equal(repositoryPage('https://tw.example/tidewatch', 'ghcr.io/a/b'), 'https://tw.example/tidewatch/repositories/ghcr.io/a/b');
});

test('publicUrlOf recovers the public URL from a payload\'s homepage', () => {
  const homepage = buildPage('https://tw.example/sub', 'ghcr.io/acme/web', 'b-1');
  assert.equal(publicUrlOf({ homepage, docker_url: 'ghcr.io/acme/web' }), 'https://tw.example/sub');
  assert.equal(publicUrlOf({ homepage: 'https://quay.io/repository/acme/web', docker_url: 'quay.io/acme/web' }), null);
  assert.equal(publicUrlOf({ docker_url: 'quay.io/acme/web' }), null);
});
