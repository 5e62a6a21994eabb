// Draw role: the mask overlay and its legend, or the skeleton, over the image.

// A distinct colour per class; class 0 (background) stays transparent.
export function classColors(count) {
  const colors = [[0, 0, 0, 0]];
  for (let i = 1; i < count; i++) {
    const hue = (i * 137.508) % 360;
    colors.push([...hslToRgb(hue / 360, 0.85, 0.5), 150]);
  }
  return colors;
}

function hslToRgb(h, s, l) {
  const f = (n) => {
    const k = (n + h * 12) % 12;
    return Math.round(255 * (l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

export function drawImage(canvas, source, width, height) {
  canvas.width = width;
  canvas.height = height;
  canvas.getContext('2d').drawImage(source, 0, 0, width, height);
}

// Labels (row-major, gridWidth x gridHeight) stretched over the whole canvas, nearest-neighbour.
export function drawMask(canvas, labels, gridWidth, gridHeight, colors) {
  const mask = document.createElement('canvas');
  mask.width = gridWidth;
  mask.height = gridHeight;
  const context = mask.getContext('2d');
  const pixels = context.createImageData(gridWidth, gridHeight);
  labels.forEach((label, p) => pixels.data.set(colors[label] || [0, 0, 0, 0], p * 4));
  context.putImageData(pixels, 0, 0);
  const target = canvas.getContext('2d');
  target.imageSmoothingEnabled = false;
  target.drawImage(mask, 0, 0, canvas.width, canvas.height);
}

export function drawLegend(element, names, colors) {
  element.replaceChildren(...names.map((name, i) => {
    const item = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    const [r, g, b] = colors[i];
    swatch.style.background = colors[i][3] === 0 ? 'transparent' : `rgb(${r}, ${g}, ${b})`;
    item.append(swatch, ` ${i}: ${name}`);
    return item;
  }));
}

// Keypoints [x, y, score] in image pixels, drawn at `scale` canvas pixels per image pixel.
export function drawSkeleton(canvas, keypoints, limbs, scale, minScore = 0.2) {
  const context = canvas.getContext('2d');
  context.lineWidth = Math.max(2, canvas.width / 200);
  context.strokeStyle = 'rgb(0, 220, 120)';
  for (const [a, b] of limbs) {
    if (keypoints[a][2] < minScore || keypoints[b][2] < minScore) continue;
    context.beginPath();
    context.moveTo(keypoints[a][0] * scale, keypoints[a][1] * scale);
    context.lineTo(keypoints[b][0] * scale, keypoints[b][1] * scale);
    context.stroke();
  }
  context.fillStyle = 'rgb(255, 60, 60)';
  for (const [x, y, score] of keypoints) {
    if (score < minScore) continue;
    context.beginPath();
    context.arc(x * scale, y * scale, context.lineWidth * 1.5, 0, 2 * Math.PI);
    context.fill();
  }
}
