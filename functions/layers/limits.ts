/** Lambda's limits on layers (Lambda developer guide, "Lambda quotas"; the API reference's LayerName pattern). */

/** A layer's name: 1-140 letters, digits, - and _ (the API's LayerName, as lamina names layers: not an ARN). */
export const LAYER_NAME = /^[a-zA-Z0-9_-]{1,140}$/;

/** A function and all its layers, unzipped. */
export const MAX_UNZIPPED_BYTES = 262_144_000;

/** A zip uploaded directly in the request; larger ones go through S3 in the layer's region. */
export const MAX_DIRECT_UPLOAD_BYTES = 52_428_800;
