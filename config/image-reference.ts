// Container image references as Kubernetes and the registries read them: `[registry[:port]/]path[:tag][@sha256:<hex>]`.
// A tag can be pushed again with other content; a digest names exactly one image, so production pins by digest
// (README, "Pinning images by digest").

export interface ImageReference {
  /** Registry and repository path, e.g. `apache/kafka` or `registry.example.com:5000/team/kafka`. */
  name: string;
  tag?: string;
  /** `sha256:<64 lowercase hex digits>`. */
  digest?: string;
}

// The distribution reference grammar: lowercase path components joined by '.', '_', '__' or dashes; an optional
// registry host (with a port) in front; tags of up to 128 word characters, dots and dashes.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REGISTRY = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?';
const NAME = new RegExp(`^(?:${REGISTRY}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

export const IMAGE_REFERENCE_FIX = 'write repository[:tag][@sha256:<64 hex digits>], e.g. apache/kafka:3.9.1 or apache/kafka:3.9.1@sha256:<digest>';

export function isImageReference(value: ImageReference | { problem: string }): value is ImageReference {
  return (value as ImageReference).name !== undefined;
}

/** Parses an image reference; returns the problem instead when it is not one. */
export function parseImageReference(text: string): ImageReference | { problem: string } {
  const parts = text.split('@');
  if (parts.length > 2) return { problem: `"${text}" has more than one @` };
  const [beforeDigest, digest] = parts;
  if (digest !== undefined && !DIGEST.test(digest)) {
    return { problem: `"${text}" has the digest "${digest}", not sha256:<64 lowercase hex digits>` };
  }
  // A colon after the last slash starts the tag; one before it belongs to the registry's port.
  const tagStart = beforeDigest.lastIndexOf(':');
  const hasTag = tagStart > beforeDigest.lastIndexOf('/');
  const name = hasTag ? beforeDigest.slice(0, tagStart) : beforeDigest;
  const tag = hasTag ? beforeDigest.slice(tagStart + 1) : undefined;
  if (!NAME.test(name)) return { problem: `"${text}" has the repository "${name}", which is not a lowercase image name` };
  if (tag !== undefined && !TAG.test(tag)) return { problem: `"${text}" has the tag "${tag}", which is not a valid tag` };
  return { name, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}
