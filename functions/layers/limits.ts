/** Lambda's limits on layer content (Lambda developer guide, "Lambda quotas"). */

/** A function and all its layers, unzipped. */
export const MAX_UNZIPPED_BYTES = 262_144_000;

/** A zip uploaded directly in the request; larger ones go through S3 in the layer's region. */
export const MAX_DIRECT_UPLOAD_BYTES = 52_428_800;
