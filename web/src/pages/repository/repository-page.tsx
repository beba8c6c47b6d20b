/*
 * `/repositories/{repository}` (ui.md): tabs Tags, Builds, Deployments and — for admins, who alone may read and
 * change notifications — Settings. The tab is in the address (?tab=), so each one can be linked to and reloaded.
 */
import { pages } from '../../api/paths';
import { Tabs, TabPanel } from '../../components/tabs';
import { useTitle } from '../../components/use-title';
import { mayAct } from '../../session/identify';
import type { Identity } from '../../session/token-store';
import { Link, setQueryParam, useLocation } from '../../router';
import { NotificationsTab } from '../notifications/notifications-tab';
import { TagsTab } from './tags-tab';
import { BuildsTab } from './builds-tab';
import { DeploymentsTab } from './deployments-tab';

type TabId = 'tags' | 'builds' | 'deployments' | 'settings';

export function RepositoryPage({ repository, identity }: { repository: string; identity: Identity }) {
  useTitle(repository);
  const { search } = useLocation();
  const tabs: Array<{ id: TabId; label: string }> = [
    { id: 'tags', label: 'Tags' }, { id: 'builds', label: 'Builds' }, { id: 'deployments', label: 'Deployments' },
    ...(mayAct(identity, 'admin') ? [{ id: 'settings' as const, label: 'Settings' }] : []),
  ];
  const asked = search.get('tab') as TabId | null;
  const tab = tabs.find((t) => t.id === asked)?.id ?? 'tags';
  return (
    <>
      <p className="breadcrumbs"><Link to="/">Environments</Link> / repositories /</p>
      <h1>{repository}</h1>
      <Tabs label="Repository" tabs={tabs} current={tab} onChange={(id) => setQueryParam('tab', id === 'tags' ? null : id)} />
      <TabPanel id={tab}>
        {tab === 'tags' ? <TagsTab repository={repository} /> : null}
        {tab === 'builds' ? <BuildsTab repository={repository} /> : null}
        {tab === 'deployments' ? <DeploymentsTab repository={repository} /> : null}
        {tab === 'settings' ? <NotificationsTab repository={repository} /> : null}
      </TabPanel>
      {asked === 'settings' && tab !== 'settings' ? <p className="help">Settings (notifications) need an admin token; this one is {identity.role}.</p> : null}
      <p className="help"><Link to={pages.compare()}>Compare images or environments</Link></p>
    </>
  );
}
