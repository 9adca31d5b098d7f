/**
 * What a provider contributes to `npm run bench`: one entry per provider and size. An entry starts
 * the provider's fake (the same faithful fake the tests use) with N accounts, changes a fraction
 * of them, knows the fewest requests the provider's API allows for one full scan, and says what a
 * bare fetch loop would fetch (the bare baseline). Everything else (running the real CLI,
 * measuring, the bare baseline, the results file) is shared.
 */

/** One HTTP listing the bare baseline pages through by following `Link: <...>; rel="next"`. */
export interface LinkPagedListing {
  /** First page. */
  url: string;
  /** When set, every object of every page is upserted as an account row of this kind. */
  rowsKind?: string;
}

/**
 * One AWS Query API call (a form-encoded, SigV4-signed POST), as the AWS fake requires; the bare
 * baseline signs it with node:crypto, the same computation the SDK does, without the SDK.
 */
export interface AwsQueryCall {
  service: 'iam' | 'sts';
  /** Form parameters, Action and Version included. */
  params: Record<string, string>;
  /** GetCredentialReport: decode the report and upsert one account row per CSV line. */
  reportRows?: boolean;
}

/**
 * What the bare baseline fetches: the same pages mfawatch fetches, with no processing beyond
 * parsing the body and upserting the rows. One kind per paging style: GitHub's Link-header
 * pages, and the AWS credential report (a fixed list of Query calls per AWS account).
 */
export type BarePlan =
  | {
      kind: 'link-pages';
      headers: Record<string, string>;
      listings: LinkPagedListing[];
    }
  | {
      kind: 'aws-query';
      /** The fake's endpoint (IAM and STS on one URL) and the signing region. */
      endpoint: string;
      region: string;
      credentials: { accessKeyId: string; secretAccessKey: string };
      calls: AwsQueryCall[];
    };

/** What one change step did, by kind (e.g. { mfa_disabled: 30, left: 20 }). */
export type ChangeCounts = Record<string, number>;

/** A started scenario: a live fake holding the accounts. */
export interface RunningScenario {
  /** The monitor entry for the mfawatch config; its `id` must be "bench". */
  monitor: Record<string, unknown>;
  /** Environment variables the monitor entry refers to (`${NAME}`). */
  env: Record<string, string>;
  /** Accounts the provider holds now (what a complete scan must report). */
  accounts(): number;
  /** Changes `fraction` of the accounts the way a real organisation changes. */
  applyChanges(fraction: number): ChangeCounts;
  /** The fewest requests the provider's API allows for one complete scan of the current state. */
  minimumRequests(): number;
  /** Requests the fake answered since the previous call. */
  takeRequestCount(): number;
  /** The pages the bare baseline fetches. */
  barePlan(): BarePlan;
  stop(): Promise<void>;
}

export interface ProviderScenario {
  /** Short id, e.g. "github-100k" (`npm run bench -- github-100k` runs only it). */
  id: string;
  /** One line for the results table. */
  title: string;
  /** Accounts at the first scan. */
  size: number;
  /** Also measure a scan with no changes (proves it writes no per-account rows). */
  unchangedScan: boolean;
  start(): Promise<RunningScenario>;
}

/** A small deterministic PRNG (mulberry32), so every run changes the same accounts. */
export function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
