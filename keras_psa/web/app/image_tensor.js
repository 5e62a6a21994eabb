// Pre- and post-processing role: an image to the model's input, outputs to labels or keypoints.
// The Python side (keras_psa.export.checks.task_criteria) decodes the same way.

// The image stretched to the model's input size, RGB, scaled from 0..255 to `range`; for a
// uint8 input (camera frames) quantized with the input's [scale, zeroPoint].
export function imageToInput(source, width, height, range, dtype = 'float32', quantization = [0, 0]) {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  context.imageSmoothingQuality = 'high';
  context.drawImage(source, 0, 0, width, height);
  const pixels = context.getImageData(0, 0, width, height).data;
  const [low, high] = range;
  const scale = (high - low) / 255;
  const float = new Float32Array(width * height * 3);
  for (let i = 0, j = 0; i < pixels.length; i += 4, j += 3) {
    float[j] = low + pixels[i] * scale;
    float[j + 1] = low + pixels[i + 1] * scale;
    float[j + 2] = low + pixels[i + 2] * scale;
  }
  if (dtype !== 'uint8') return float;
  const [step, zeroPoint] = quantization;
  // Uint8Array clamps to 0..255; Math.round like numpy's round for these values.
  return Uint8Array.from(float, (v) => Math.round(v / step) + zeroPoint);
}

// The class index of each pixel of an (H, W, C) score map, row-major.
export function argmaxLabels(scores, height, width, channels) {
  const labels = new Array(height * width);
  for (let p = 0; p < height * width; p++) {
    let best = 0;
    for (let c = 1; c < channels; c++) {
      if (scores[p * channels + c] > scores[p * channels + best]) best = c;
    }
    labels[p] = best;
  }
  return labels;
}

// [x, y, score] per joint of (H, W, K) heatmaps, in the pixels of an image of
// imageWidth x imageHeight that was stretched to the model's input: the argmax
// refined by one Newton step on the log-heatmap (DARK), mapped by UDP's
// (input - 1) / (heatmap - 1), as keras_psa.keypoints.decode_heatmaps does.
export function decodeKeypoints(maps, height, width, joints, input, image) {
  const at = (y, x, k) => Math.log(Math.max(maps[(y * width + x) * joints + k], 1e-10));
  const keypoints = [];
  for (let k = 0; k < joints; k++) {
    let best = 0;
    for (let p = 1; p < height * width; p++) {
      if (maps[p * joints + k] > maps[best * joints + k]) best = p;
    }
    const y = Math.floor(best / width);
    const x = best % width;
    let stepX = 0;
    let stepY = 0;
    if (x >= 1 && x <= width - 2 && y >= 1 && y <= height - 2) {
      const c = at(y, x, k);
      const dx = 0.5 * (at(y, x + 1, k) - at(y, x - 1, k));
      const dy = 0.5 * (at(y + 1, x, k) - at(y - 1, x, k));
      const dxx = at(y, x + 1, k) - 2 * c + at(y, x - 1, k);
      const dyy = at(y + 1, x, k) - 2 * c + at(y - 1, x, k);
      const dxy = 0.25 * (at(y + 1, x + 1, k) - at(y + 1, x - 1, k) - at(y - 1, x + 1, k)
                          + at(y - 1, x - 1, k));
      const det = dxx * dyy - dxy * dxy;
      if (det > 1e-12 && dxx < 0) {
        stepX = Math.min(0.5, Math.max(-0.5, -(dyy * dx - dxy * dy) / det));
        stepY = Math.min(0.5, Math.max(-0.5, -(dxx * dy - dxy * dx) / det));
      }
    }
    const inputX = (x + stepX) * (input.width - 1) / (width - 1);
    const inputY = (y + stepY) * (input.height - 1) / (height - 1);
    keypoints.push([inputX * image.width / input.width, inputY * image.height / input.height,
                    maps[best * joints + k]]);
  }
  return keypoints;
}
