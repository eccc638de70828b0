// Manifest and index media types the registry client speaks, descriptors, and telling a fetched manifest's type.
import type { Platform } from './platform';

export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  /** Docker's schema 1, deprecated and refused since Docker 20.10; named only to say so. */
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

/** What `getManifest` asks for unless told otherwise: everything skiff can pull, images and indexes. */
export const defaultManifestAccept: readonly string[] = [MediaType.ociIndex, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.dockerManifest];

export function isIndexType(mediaType: string): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

export function isImageManifestType(mediaType: string): boolean {
  return mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;
}

/** An OCI content descriptor (Docker's are the same shape). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

/**
 * The media type of manifest bytes. The document's own `mediaType` wins (OCI says it should equal
 * the Content-Type, and some registries send `application/json`); without one, a Content-Type
 * naming a manifest type; without that, the shape: `manifests` is an index, `config` + `layers` an
 * image manifest (umoci writes OCI manifests with no mediaType field).
 */
export function manifestMediaType(json: unknown, contentType: string | null | undefined): string {
  const document = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  if (typeof document.mediaType === 'string' && document.mediaType !== '') return document.mediaType;
  const header = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (Object.values(MediaType).includes(header as (typeof MediaType)[keyof typeof MediaType])) return header;
  if (document.schemaVersion === 1) return MediaType.dockerSchema1;
  if (Array.isArray(document.manifests)) return MediaType.ociIndex;
  if (typeof document.config === 'object' && Array.isArray(document.layers)) return MediaType.ociManifest;
  return header || 'application/octet-stream';
}
