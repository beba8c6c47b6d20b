/*
 * The chosen event's filter fields (notifications.md, eventConfig column): tags for pushes, a ref regex for builds,
 * level / environments / fixable only / skip inherited for vulnerabilities, environments and a minimum level for
 * deployments. Empty fields are left out of the request: "every tag", "every environment".
 */
import { FormField } from '../../components/form-field';
import { errorFor } from '../../components/field-error';
import { levels } from './notification-model';
import type { Draft } from './notification-draft';

type Change = (patch: Partial<Draft>) => void;

export function EventFields({ draft, onChange, error, environments }: { draft: Draft; onChange: Change; error: unknown; environments: string[] }) {
  const e = draft.event;
  if (e === '') return null;
  if (e === 'repo_push') {
    return (
      <FormField id="n-tags" label="Only for tags" error={errorFor(error, 'eventConfig.tags')}
        help={<>Comma-separated patterns, <code>*</code> any run of characters, <code>?</code> one (e.g. <code>v*, latest</code>). Empty: every tag.</>}>
        <input type="text" value={draft.tags} onChange={(x) => onChange({ tags: x.target.value })} />
      </FormField>
    );
  }
  if (e.startsWith('build_')) {
    return (
      <FormField id="n-ref" label="Only for refs matching" error={errorFor(error, 'eventConfig.ref-regex')}
        help={<>A regular expression matched at the start of the build's ref, e.g. <code>refs/heads/(main|release/.*)</code>. Empty: every build.</>}>
        <input type="text" value={draft.refRegex} onChange={(x) => onChange({ refRegex: x.target.value })} />
      </FormField>
    );
  }
  const envField = (
    <FormField id="n-envs" label="Only in environments" error={errorFor(error, 'eventConfig.environments')}
      help={e === 'vulnerability_found'
        ? 'Comma-separated names: only when the image runs in one of them now. Empty: wherever it runs, or nowhere.'
        : 'Comma-separated names, matched exactly. Empty: every environment.'}>
      <input type="text" list="n-env-names" value={draft.environments} onChange={(x) => onChange({ environments: x.target.value })} />
    </FormField>
  );
  const datalist = <datalist id="n-env-names">{environments.map((name) => <option key={name} value={name} />)}</datalist>;
  if (e === 'vulnerability_found') {
    return (
      <>
        <FormField id="n-level" label="Only when the severity is at least" error={errorFor(error, 'eventConfig.level')}>
          <select value={draft.level} onChange={(x) => onChange({ level: x.target.value })}>
            <option value="">any severity</option>
            {levels.map((l, i) => <option key={l} value={i}>{l}{i === 0 ? '' : ' or more severe'}</option>)}
          </select>
        </FormField>
        {envField}
        {datalist}
        <div className="field">
          <label className="check"><input type="checkbox" checked={draft.fixableOnly} onChange={(x) => onChange({ fixableOnly: x.target.checked })} /> Only vulnerabilities with a fix</label>
          <label className="check"><input type="checkbox" checked={draft.skipInherited} onChange={(x) => onChange({ skipInherited: x.target.checked })} /> Skip what the image it replaced already had (report what a new build introduced)</label>
        </div>
      </>
    );
  }
  return (
    <>
      {envField}
      {datalist}
      <FormField id="n-min-level" label="Only when the image has open vulnerabilities of at least" error={errorFor(error, 'eventConfig.min_level')}>
        <select value={draft.minLevel} onChange={(x) => onChange({ minLevel: x.target.value })}>
          <option value="">(no condition)</option>
          {levels.map((l, i) => <option key={l} value={i}>{l}{i === 0 ? '' : ' or more severe'}</option>)}
        </select>
      </FormField>
    </>
  );
}
