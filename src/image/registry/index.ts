// The registry client's public face, and the one place that joins it to references, registries.json and stored credentials.
import { findCredentials, type Credentials } from '../auth';
import type { Reference } from '../reference';
import { schemes, verifiesTls, type RegistriesConfig, type TlsVerifyFlag } from '../registries';
import { createRegistryClient, type RegistryClient } from './client';

export { createRegistryClient, clearEndpointCache, nextLink } from './client';
export type { FetchBlobOptions, FetchedManifest, ManifestHead, PingResult, RegistryClient, RegistryClientOptions } from './client';
export { parseWwwAuthenticate, type Challenge } from './challenge';
export { clearTokenCache, mergeScopes } from './authorizer';
export { checkDigest, digestOf, isDigest, verifyingStream } from './digest';
export { errorForNetwork, errorForStatus, RegistryError, type RegistryErrorReason } from './errors';
export { defaultManifestAccept, isImageManifestType, isIndexType, manifestMediaType, MediaType, type Descriptor } from './media-types';
export { compatiblePlatforms, formatPlatform, hostPlatform, normalizePlatform, parsePlatform, selectPlatform, type ImageIndex, type Platform } from './platform';
export type { PushBlobOptions } from './push';

export interface ClientForOptions {
  config: RegistriesConfig;
  /** `--tls-verify`: undefined when not given, so that registries.json and loopback rules decide. */
  tlsVerify?: TlsVerifyFlag;
  /** Credentials to use instead of the stored ones; null for anonymous access. */
  credentials?: Credentials | null;
  userAgent: string;
}

/**
 * A client for a reference's repository, configured as the user's setup says: the schemes and
 * certificate checks registries.json and --tls-verify allow, and the credentials `skiff login`
 * (or Docker's or Podman's login) stored for the registry.
 */
export async function registryClientFor(reference: Pick<Reference, 'domain' | 'path'>, options: ClientForOptions): Promise<RegistryClient> {
  const credentials = options.credentials === undefined
    ? (await findCredentials(reference.domain))?.credentials
    : options.credentials ?? undefined;
  return createRegistryClient({
    domain: reference.domain,
    repository: reference.path,
    schemes: schemes(reference.domain, options.config, options.tlsVerify),
    tlsVerify: verifiesTls(reference.domain, options.config, options.tlsVerify),
    credentials,
    userAgent: options.userAgent,
  });
}
