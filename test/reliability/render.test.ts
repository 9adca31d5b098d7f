/**
 * docs/RELIABILITY.md is rendered from what the suites observed (render.ts): the per-provider event
 * fault table and its figures, placed after the GitHub event faults, with not-applicable rows
 * giving their reason and provider text that cannot break the table.
 */
import { describe, expect, it } from 'vitest';
import { providerEventFigures, renderProviderEventFaults, renderReliability } from './render.js';
import type { EventFaultRow, ProviderEventFaultRow } from './results.js';

const row = (over: Partial<ProviderEventFaultRow> = {}): ProviderEventFaultRow => ({
  provider: 'okta', source: 'system-log', fault: 'throttled', title: "throttled: 429 with the provider's rate-limit headers",
  outcome: 'poll failed rate_limited; caught up: 1 alert', operatorSees: 'error rate_limited: Okta rate limit | reached', falseAlerts: 0, lostAlerts: 0, duplicateAlerts: 0, ...over,
});
const github: EventFaultRow = { source: 'github webhook', fault: 'a 5 MB body', outcome: 'HTTP 413', operatorSees: '413', falseAlerts: 0, lostAlerts: 0, duplicateAlerts: 0 };

describe('the per-provider event fault table', () => {
  it('one line per row: "here:" where the fault shows differently, cells escaped, not applicable with its reason', () => {
    const lines = renderProviderEventFaults([
      row({ as: '429 E0000047 with X-Rate-Limit-Reset' }),
      row({ provider: 'entra', fault: 'push_5mb', title: 'pushed: a 5 MB body', source: 'entra push', outcome: 'n/a', operatorSees: '', notApplicable: 'no pushed source' }),
    ]);
    expect(lines[0]).toBe('## Event faults per provider');
    expect(lines).toContain("| okta | system-log | throttled: 429 with the provider's rate-limit headers; here: 429 E0000047 with X-Rate-Limit-Reset | poll failed rate_limited; caught up: 1 alert | 0 | 0 | 0 | error rate_limited: Okta rate limit \\| reached |");
    expect(lines).toContain('| entra | | pushed: a 5 MB body | not applicable | | | | no pushed source |');
  });

  it('figures count the faults tried and the alerts, leaving out the not-applicable rows', () => {
    expect(providerEventFigures([])).toEqual([]);
    const figures = providerEventFigures([
      row(), row({ fault: 'storm' }), row({ source: 'event-hook', fault: 'push_replay' }), row({ provider: 'slack', source: 'audit-logs', duplicateAlerts: 1 }),
      row({ provider: 'slack', source: 'push', outcome: 'n/a', notApplicable: 'no push', duplicateAlerts: 0 }),
    ]);
    // Sources, not providers: Okta's system log and its event hook are two.
    expect(figures).toEqual([
      '| event-source faults tried per provider (sources × faults) | 4 (2 provider(s), 3 source(s): okta system-log, okta event-hook, slack audit-logs); 1 not applicable |',
      '| false, lost and duplicate alerts in the per-provider event faults | 0 false, 0 lost, 1 duplicate |',
    ]);
  });

  it('the document carries the section after the GitHub event faults and before the AWS events, and its figures', () => {
    const doc = renderReliability([], [], { configs: 1, rejectedWithExit2: 1, namedThePath: 1 }, [], [], [github], [row()]);
    const at = (heading: string) => doc.indexOf(`\n${heading}\n`);
    expect(at('## Event faults')).toBeGreaterThan(0);
    expect(at('## Event faults per provider')).toBeGreaterThan(at('## Event faults'));
    expect(at('## AWS events (the `sqs` source of aws-iam)')).toBeGreaterThan(at('## Event faults per provider'));
    expect(doc).toContain('| event-source faults tried per provider (sources × faults) | 1 (1 provider(s), 1 source(s): okta system-log); 0 not applicable |');
    expect(renderReliability([], [], { configs: 1, rejectedWithExit2: 1, namedThePath: 1 }, [], [], [github])).not.toContain('## Event faults per provider');
  });
});
