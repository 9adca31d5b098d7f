/**
 * Endpoint overrides of the AWS services a module calls (LocalStack, a VPC endpoint, a test fake).
 * A single URL applies to every service, as the SDK's own `AWS_ENDPOINT_URL` does: before, it
 * reached IAM only, and STS (GetCallerIdentity, AssumeRole) quietly went to AWS itself. An object
 * overrides each service named. A service left without an override gets the SDK's own resolution:
 * `AWS_ENDPOINT_URL_<SERVICE>` (e.g. `AWS_ENDPOINT_URL_STS`), then `AWS_ENDPOINT_URL`, then the
 * shared config file's `endpoint_url`, then AWS's own endpoint; the SDK reads those itself.
 */

/** The AWS services mfawatch modules call. */
export type AwsService = 'iam' | 'sts' | 'organizations' | 'sqs';

/** The `endpoint` key as written: one URL for every service, or a URL per service. */
export type AwsEndpointOption = string | Partial<Record<AwsService, string | undefined>>;

/** The override for `service`, or undefined to let the SDK resolve it. */
export function endpointFor(option: AwsEndpointOption | undefined, service: AwsService): string | undefined {
  if (option === undefined) return undefined;
  if (typeof option === 'string') return option;
  return option[service];
}
