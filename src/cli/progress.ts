/** Progress on stderr: a bar with rate and ETA, redrawn in place on a terminal. */
export function progressLine(done: number, total: number, elapsedMs: number, width = 30): string {
  const ratio = total === 0 ? 1 : done / total;
  const filled = Math.round(ratio * width);
  const rate = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0;
  const etaS = rate > 0 ? Math.ceil((total - done) / rate) : Number.POSITIVE_INFINITY;
  const eta = Number.isFinite(etaS)
    ? `${Math.floor(etaS / 60)}m${String(etaS % 60).padStart(2, '0')}s`
    : '?';
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(1)}% ${done}/${total} ${Math.round(rate)} rows/s ETA ${eta}`;
}
