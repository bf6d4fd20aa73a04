/**
 * The watermark record's encoder under the name io/fs.ts imports: the layout and its one
 * encoder live in format/watermark.ts (this IO layer only writes the bytes it is given).
 */
export { encodeWatermark as encodeWatermarkBytes } from '../format/watermark.js';
