/*
 * The shell: header (navigation, who is signed in, theme), then the page of the address. Pages other than the first
 * ones are loaded on demand (React.lazy) so the first page stays small (issue 7: under 300 KB gzipped).
 */
import { lazy, Suspense, useEffect, useRef, type ComponentType } from 'react';
import { Link, navigate, routeOf, useLocation, type Route } from './router';
import { useSession } from './session/use-session';
import { signalSignedOut, type Identity } from './session/token-store';
import { SignInPage } from './session/signin-page';
import { OverviewPage } from './pages/overview-page';
import { ThemeToggle } from './components/theme-toggle';
import { Loading } from './components/feedback';
import { pages } from './api/paths';
import { mayAct } from './session/identify';

const page = <K extends string>(load: () => Promise<Record<K, ComponentType<any>>>, name: K) =>
  lazy(() => load().then((m) => ({ default: m[name] })));

const EnvironmentPage = page(() => import('./pages/environment/environment-page'), 'EnvironmentPage');
const RepositoryPage = page(() => import('./pages/repository/repository-page'), 'RepositoryPage');
const BuildPage = page(() => import('./pages/build-page'), 'BuildPage');
const ImagePage = page(() => import('./pages/image/image-page'), 'ImagePage');
const ComparePage = page(() => import('./pages/compare-page'), 'ComparePage');
const VulnerabilityPage = page(() => import('./pages/vulnerability-page'), 'VulnerabilityPage');
const IntegrationsPage = page(() => import('./pages/integrations/integrations-page'), 'IntegrationsPage');
const TokensPage = page(() => import('./pages/tokens-page'), 'TokensPage');
const PoliciesPage = page(() => import('./pages/admission/policies-page'), 'PoliciesPage');
const ClustersPage = page(() => import('./pages/admission/clusters-page'), 'ClustersPage');

function PageOf({ route, identity }: { route: Route; identity: Identity }) {
  switch (route.page) {
    case 'overview': return <OverviewPage />;
    case 'environment': return <EnvironmentPage name={route.name} />;
    case 'repository': return <RepositoryPage repository={route.repository} identity={identity} />;
    case 'build': return <BuildPage repository={route.repository} id={route.id} />;
    case 'image': return <ImagePage repository={route.repository} digest={route.digest} identity={identity} />;
    case 'compare': return <ComparePage />;
    case 'vulnerability': return <VulnerabilityPage id={route.id} />;
    case 'integrations': return <IntegrationsPage identity={identity} />;
    case 'tokens': return <TokensPage identity={identity} />;
    case 'policies': return <PoliciesPage identity={identity} />;
    case 'clusters': return <ClustersPage identity={identity} />;
    case 'signin': return null;
    case 'not-found': return <NotFound />;
  }
}

function NotFound() {
  return (
    <>
      <h1>No such page</h1>
      <p>This address is not a page of Tidewatch. Start from the <Link to="/">environments</Link>.</p>
    </>
  );
}

const nav: Array<{ to: string; label: string; match: (p: string) => boolean; needs?: Identity['role'] }> = [
  { to: '/', label: 'Environments', match: (p) => p === '/' || p.startsWith('/environments/') },
  { to: pages.compare(), label: 'Compare', match: (p) => p === '/compare' },
  { to: pages.policies(), label: 'Policies', match: (p) => p === '/policies' },
  { to: pages.clusters(), label: 'Clusters', match: (p) => p === '/clusters' },
  { to: pages.integrations(), label: 'Integrations', match: (p) => p === '/integrations' },
  { to: pages.tokens(), label: 'Tokens', match: (p) => p.startsWith('/settings'), needs: 'admin' },
];

export function App() {
  const { path, search, href } = useLocation();
  const { identity, endedBecause } = useSession();
  const route = routeOf(path);
  const signedOut = identity === null;

  // A new page: focus moves to its content, as a page load would put a screen reader there (not on the first load).
  const shownPath = useRef(path);
  useEffect(() => {
    if (shownPath.current === path) return;
    shownPath.current = path;
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [path]);

  useEffect(() => {
    if (signedOut && route.page !== 'signin') navigate(pages.signin(href === '/' ? undefined : href), { replace: true });
  }, [signedOut, route.page, href]);

  return (
    <>
      <a className="skip-link" href="#main">Skip to content</a>
      <header className="topbar">
        <Link to="/" className="brand" aria-label="Tidewatch, environments overview">
          <img src="/favicon.svg" alt="" width="22" height="22" /> Tidewatch
        </Link>
        {identity ? (
          <nav aria-label="Main" className="mainnav">
            {nav.filter((n) => !n.needs || mayAct(identity, n.needs)).map((n) => (
              <Link key={n.to} to={n.to} aria-current={n.match(path) ? 'page' : undefined}>{n.label}</Link>
            ))}
          </nav>
        ) : <span className="mainnav" />}
        <div className="who">
          {identity ? (
            <>
              <span data-testid="signed-in-as">
                Signed in as <strong>{identity.name}</strong>{' '}
                <span className={`role role-${identity.role}`} title={roleHelp[identity.role]}>{identity.role}</span>
                {' '}in <strong>{identity.workspace}</strong>
                {identity.repositoryGlob ? <> · repositories <code>{identity.repositoryGlob}</code></> : null}
              </span>
              <button type="button" className="button-small" onClick={() => signalSignedOut(null)}>Sign out</button>
            </>
          ) : null}
          <ThemeToggle />
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === 'signin' || signedOut
          ? <SignInPage next={search.get('next')} endedBecause={endedBecause} />
          : (
            <Suspense fallback={<Loading what="the page" />}>
              <PageOf key={path} route={route} identity={identity} />
            </Suspense>
          )}
      </main>
    </>
  );
}

const roleHelp: Record<Identity['role'], string> = {
  read: 'read: may look at everything in its scope, change nothing',
  write: 'write: may also record deployments, pushes, builds, scans and triage',
  admin: 'admin: may do everything, tokens and notifications included',
};
