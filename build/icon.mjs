// Writes build/icon.png (1024x1024): a white cross on a deep teal rounded square.
// electron-builder derives the Windows .ico and macOS .icns from it. Run: node build/icon.mjs
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

const size = 1024;
const png = new PNG({ width: size, height: size });
const radius = 180;
const inset = 64;
const arm = 105; // half the cross arm's width
const reach = 320; // half the cross arm's length
const c = size / 2;

function insideRoundedSquare(x, y) {
  const lo = inset + radius;
  const hi = size - inset - radius;
  const dx = x < lo ? lo - x : x > hi ? x - hi : 0;
  const dy = y < lo ? lo - y : y > hi ? y - hi : 0;
  return x >= inset && x < size - inset && y >= inset && y < size - inset && dx * dx + dy * dy <= radius * radius;
}

for (let y = 0; y < size; y++) {
  for (let x = 0; x < size; x++) {
    const i = (y * size + x) * 4;
    const cross = (Math.abs(x - c) <= arm && Math.abs(y - c) <= reach) || (Math.abs(y - c) <= arm && Math.abs(x - c) <= reach);
    const rgba = !insideRoundedSquare(x, y) ? [0, 0, 0, 0] : cross ? [255, 255, 255, 255] : [0, 105, 120, 255];
    png.data.set(rgba, i);
  }
}
writeFileSync(fileURLToPath(new URL('./icon.png', import.meta.url)), PNG.sync.write(png));
