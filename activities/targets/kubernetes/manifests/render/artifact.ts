// The artifact as an image reference: the name the manifests' images are matched on, and the tag
// or digest kustomize's `images` sets in their place.

export interface ImageReference {
  /** Registry and repository: everything before the tag or digest. */
  name: string;
  tag?: string;
  digest?: string;
}

/** `registry:5000/shop:abc@sha256:…` → name `registry:5000/shop`, tag `abc`, digest `sha256:…`. */
export function parseImage(reference: string): ImageReference {
  const at = reference.indexOf('@');
  const digest = at === -1 ? undefined : reference.slice(at + 1);
  const named = at === -1 ? reference : reference.slice(0, at);
  // A colon after the last slash starts the tag; one before it belongs to a registry's port.
  const colon = named.lastIndexOf(':');
  const tagged = colon > named.lastIndexOf('/');
  return {
    name: tagged ? named.slice(0, colon) : named,
    ...(tagged ? { tag: named.slice(colon + 1) } : {}),
    ...(digest ? { digest } : {}),
  };
}

/** The reference as kustomize writes it into a container it matched. */
export function imageString(image: ImageReference): string {
  return `${image.name}${image.tag ? `:${image.tag}` : ''}${image.digest ? `@${image.digest}` : ''}`;
}
